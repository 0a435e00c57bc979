// The web client's own commands (`vite build`, `vite`) use the project's one config.
export { default } from '../vite.config.ts';
