import { createApp } from 'vue'
import App from './App.vue'
import { locale } from './i18n.js'
import './style.css'

document.documentElement.lang = locale.value
createApp(App).mount('#app')
