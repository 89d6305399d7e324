import ArgumentParser
import FFmpegBridge
import SRTTransport

struct Versions: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the versions of Sluice and the media libraries it links.")

    func run() throws {
        print("sluice \(SluiceVersion.string)")
        print(FFmpegVersion.description)
        print("libsrt \(SRTLibrary.version)")
    }
}
