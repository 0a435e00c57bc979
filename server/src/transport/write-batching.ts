// Writes are gathered per connection and flushed once per event-loop turn: a chunk that carries
// many stanzas for one reader becomes one syscall, without a closure per write.

export interface Flushable {
  flush(): void;
}

const dirty: Flushable[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  // flush() may queue more (rare); those go in the next turn
  const count = dirty.length;
  for (let i = 0; i < count; i++) dirty[i]!.flush();
  dirty.splice(0, count);
}

/** Ask for `connection.flush()` at the end of this turn. Call once per connection per turn. */
export function scheduleFlush(connection: Flushable): void {
  dirty.push(connection);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(flushAll);
  }
}
