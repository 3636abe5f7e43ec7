/**
 * "Restart server" in the drawer's Server section: after a confirmation it
 * asks the server to restart in place (POST /api/admin/restart). The socket
 * drops with the old process and the app reconnects by itself; the welcome of
 * the new process carries another startedAt, and the app says the server
 * restarted (app/state.ts noteServerStart). A server nothing would start
 * again answers 409 with why: that is shown as it is.
 */
import { restartServer } from '../net/api.js';
import { confirmDialog } from '../views/dialogs.js';

export interface RestartDeps {
  info(text: string): void;
  error(err: unknown): void;
}

export function wireRestart(button: HTMLButtonElement, deps: RestartDeps): void {
  button.addEventListener('click', () => {
    void (async () => {
      const sure = await confirmDialog(
        'Restart the server?',
        'Runs in progress end, as after any restart; queued prompts stay and run once it is back. The app reconnects by itself.',
        'Restart',
        'Cancel',
      );
      if (!sure) return;
      button.disabled = true;
      try {
        await restartServer();
        deps.info('The server is restarting. The app reconnects by itself.');
      } catch (err) {
        deps.error(err);
      } finally {
        button.disabled = false;
      }
    })();
  });
}
