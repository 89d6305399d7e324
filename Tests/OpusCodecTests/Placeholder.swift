// Placeholder so the declared test target builds (main lacks this folder); delete when tests land.
import Testing
