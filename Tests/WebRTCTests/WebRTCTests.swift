import Testing
import WebRTC
