/** The open session in the address (#<id>), so a reload, a bookmark or Back opens it again. */

export function sessionInAddress(): string {
  return decodeURIComponent(location.hash.slice(1));
}

/** Replaces (never pushes) the address: picking sessions must not fill the history. */
export function showInAddress(id: string | undefined): void {
  history.replaceState(null, '', id === undefined ? location.pathname : `#${encodeURIComponent(id)}`);
}
