/**
 * Flags for Debian's Chromium here: no sandbox (tests run as root), headless, and no connections of its own out
 * (the machine refuses them, and they slow every start).
 */
export const chromiumFlags = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
