// Files on their way to a conversation (XEP-0363, xmpp/upload.ts), as the chat shows them: name,
// progress, a cancel, and the reason in words when one failed. A file that arrived is a message.
import { UploadError, type Uploader } from '../xmpp/upload.ts';
import { ConnectionError } from '../xmpp/errors.ts';
import { t } from '../i18n/index.svelte.ts';

export class FileUpload {
  sent = $state(0);
  failed = $state<string | null>(null);
  private readonly abort = new AbortController();

  constructor(readonly id: string, readonly peer: string, readonly file: File, private readonly onDismiss: (upload: FileUpload) => void) {}

  get name(): string {
    return this.file.name || t('upload.unnamed');
  }

  get size(): number {
    return this.file.size;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Stop the upload (it leaves the list once the request has stopped). */
  cancel(): void {
    this.abort.abort();
  }

  /** Take a failed upload off the list. */
  dismiss(): void {
    this.onDismiss(this);
  }
}

let counter = 0;

export class Uploads {
  byPeer = $state<Record<string, FileUpload[]>>({});

  constructor(private readonly uploader: Uploader, private readonly online: () => boolean) {}

  /** The server's upload service (null: none). */
  service() {
    return this.uploader.findService();
  }

  of(peer: string): FileUpload[] {
    return this.byPeer[peer] ?? [];
  }

  /** Upload each file; `sent(url)` once one is stored (the caller sends the message). */
  start(peer: string, files: Iterable<File>, sent: (url: string) => void): void {
    for (const file of files) {
      const upload = new FileUpload(`upload-${++counter}`, peer, file, (done) => this.remove(done));
      // (a class instance is not proxied: its own $state fields carry the changes)
      this.byPeer[peer] = [...this.of(peer), upload];
      void this.run(upload, sent);
    }
  }

  private async run(upload: FileUpload, sent: (url: string) => void): Promise<void> {
    try {
      const url = await this.uploader.upload(upload.file, (bytes) => (upload.sent = bytes), upload.signal);
      this.remove(upload);
      sent(url);
    } catch (error) {
      if (error instanceof UploadError && error.problem.kind === 'cancelled') return this.remove(upload);
      upload.failed = error instanceof UploadError ? error.message
        : !this.online() || error instanceof ConnectionError ? t('upload.offline') : t('upload.failed', { text: 'none' });
    }
  }

  /** Take a finished, cancelled or failed upload off the list. */
  remove(upload: FileUpload): void {
    upload.cancel();
    const left = this.of(upload.peer).filter((other) => other.id !== upload.id);
    if (left.length) this.byPeer[upload.peer] = left;
    else delete this.byPeer[upload.peer];
  }
}
