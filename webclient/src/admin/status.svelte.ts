// What an admin action says when it is over: the API's error, or what it did (shown in a live region).
export class ActionStatus {
  error = $state('');
  done = $state('');
  busy = $state(false);

  /** Runs `work`; on success shows `doneText` (if any), on failure the API's message. */
  async run<T>(work: () => Promise<T>, doneText = ''): Promise<T | undefined> {
    this.busy = true;
    this.error = '';
    this.done = '';
    try {
      const result = await work();
      this.done = doneText;
      return result;
    } catch (failure) {
      this.error = failure instanceof Error ? failure.message : String(failure);
      return undefined;
    } finally {
      this.busy = false;
    }
  }
}
