/**
 * On a phone the sidebar is a drawer behind the "Sessions" button (style.css
 * decides when); a tap outside the open drawer closes it. Esc and picking a
 * session close it too, through setOpen (main.ts).
 */
export interface Drawer {
  readonly isOpen: boolean;
  setOpen(open: boolean): void;
}

export function createDrawer(toggle: HTMLButtonElement, sidebar: HTMLElement): Drawer {
  const body = document.body;
  const setOpen = (open: boolean) => {
    body.classList.toggle('sidebar-open', open);
    toggle.setAttribute('aria-expanded', String(open));
  };
  toggle.addEventListener('click', () => setOpen(!body.classList.contains('sidebar-open')));
  document.addEventListener('click', (e) => {
    const target = e.target as Node;
    if (!body.classList.contains('sidebar-open')) return;
    if (sidebar.contains(target) || toggle.contains(target)) return;
    setOpen(false);
  });
  return {
    get isOpen() {
      return body.classList.contains('sidebar-open');
    },
    setOpen,
  };
}
