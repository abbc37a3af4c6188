import { accessToken } from '../app/auth.js';

/**
 * Downloads the ledger's NDJSON export. The token goes in the Authorization header of a fetch, never in a URL (which
 * would land in history and logs); the body becomes a Blob the browser saves under the server's file name.
 */
export async function downloadExport(): Promise<{ bytes: number; name: string }> {
  const token = await accessToken();
  if (token == null) throw new Error('you are signed out: sign in again to export');
  const res = await fetch('/ledger/export', { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`the export was refused: HTTP ${res.status}`);
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? 'ledger-export.ndjson';
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // The click has started the download; the object URL is no longer needed.
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  return { bytes: blob.size, name };
}
