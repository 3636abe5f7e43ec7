/**
 * Completion of slash commands as the user types "/": an ARIA listbox above
 * the message box, driven by the arrow keys, Tab or Enter to complete, Esc to
 * close, or a tap.
 *
 * The box stays a textbox: a <textarea> may not take the combobox role (ARIA
 * in HTML), and with it aria-expanded, which a textbox does not support. It
 * points at the list (aria-controls, in index.html) and at the active option
 * (aria-activedescendant), which a textbox does support.
 */
import { h } from '../dom.js';
import { completionsFor, type CommandSpec } from './commands.js';

export interface CommandMenu {
  /** Handles a keydown of the message box; true when the menu used it. */
  onKeyDown(e: KeyboardEvent): boolean;
  update(): void;
  readonly open: boolean;
}

export function attachCommandMenu(box: HTMLTextAreaElement, menu: HTMLElement): CommandMenu {
  let options: readonly CommandSpec[] = [];
  let active = 0;

  const render = () => {
    menu.hidden = options.length === 0;
    if (options.length === 0) {
      box.removeAttribute('aria-activedescendant');
      menu.replaceChildren();
      return;
    }
    menu.replaceChildren(
      ...options.map((c, i) =>
        h('li', { id: `command-${i}`, role: 'option', class: 'command', 'aria-selected': String(i === active), 'data-index': String(i) }, [
          h('span', { class: 'command-name' }, [`${c.name}${c.args ? ` ${c.args}` : ''}`]),
          h('span', { class: 'command-help' }, [c.help]),
        ]),
      ),
    );
    box.setAttribute('aria-activedescendant', `command-${active}`);
  };

  const complete = (index: number) => {
    const pick = options[index];
    if (!pick) return;
    box.value = pick.args ? `${pick.name} ` : pick.name;
    options = [];
    render();
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  };

  menu.addEventListener('mousedown', (e) => e.preventDefault()); // keep focus in the box
  menu.addEventListener('click', (e) => {
    const item = (e.target as Element).closest<HTMLElement>('[data-index]');
    if (item?.dataset.index) complete(Number(item.dataset.index));
  });

  return {
    get open() {
      return options.length > 0;
    },
    update() {
      const next = completionsFor(box.value);
      if (next.length !== options.length || next.some((c, i) => c !== options[i])) active = 0;
      options = next;
      render();
    },
    onKeyDown(e) {
      if (options.length === 0) return false;
      switch (e.key) {
        case 'ArrowDown':
          active = (active + 1) % options.length;
          break;
        case 'ArrowUp':
          active = (active - 1 + options.length) % options.length;
          break;
        case 'Tab':
        case 'Enter':
          if (e.shiftKey) return false;
          complete(active);
          break;
        case 'Escape':
          options = [];
          break;
        default:
          return false;
      }
      e.preventDefault();
      render();
      return true;
    },
  };
}
