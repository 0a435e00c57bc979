// Entry point of the admin console (/admin/): the second entry of the web client's build.
import { mount } from 'svelte';
import Console from './Console.svelte';
import '../styles/theme.css';
import './admin.css';

mount(Console, { target: document.getElementById('app')! });
