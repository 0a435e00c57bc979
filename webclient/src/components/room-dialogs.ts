// The rooms' dialogs, loaded together the first time one opens (Panel.svelte).
export { default as CreateRoomDialog } from './CreateRoomDialog.svelte';
export { default as InviteDialog } from './InviteDialog.svelte';
export { default as JoinRoomDialog } from './JoinRoomDialog.svelte';
