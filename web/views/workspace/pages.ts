/** The workspace pages, one chunk loaded at the first click on Changes or Files (features/workspace.ts). */
export { openChangesPage } from './changes.js';
export { openFilesPage } from './files.js';
