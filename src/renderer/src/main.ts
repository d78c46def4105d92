// Renderer entry: picks the backend transport, then creates the Vue app with Pinia and mounts it.
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import './assets/main.css'
import { backendKey, connectBackend } from './ipc'

const backend = connectBackend(window)

createApp(App).use(createPinia()).provide(backendKey, backend).mount('#app')
