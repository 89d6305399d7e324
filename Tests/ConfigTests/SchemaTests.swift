import Config
import Testing

@Suite struct SchemaTests {
    @Test func defaultsMatchMakeRun() {
        let c = SluiceConfig()
        #expect(c.listeners.rtmp.port == 1935 && c.listeners.srt.port == 9000 && c.listeners.http.port == 8080)
        #expect(c.api.token == nil && c.paths.isEmpty)
    }
}
