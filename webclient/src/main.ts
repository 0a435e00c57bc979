// Entry point of the chat panel (the full client arrives with its own issue).
import { mount } from 'svelte';
import App from './App.svelte';

mount(App, { target: document.getElementById('app')! });
