import Server

enum SluiceVersion {
    static let string = SluiceServer.version
}
