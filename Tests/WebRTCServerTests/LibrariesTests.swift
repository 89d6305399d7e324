import Testing
import WebRTCServer

@Suite struct WebRTCLibrariesTests {
    @Test func libsrtpInitialisesAndOpenSSLIsThree() {
        #expect(WebRTCLibraries.initialise())
        #expect(WebRTCLibraries.openSSLVersion >= 0x3000_0000)
    }
}
