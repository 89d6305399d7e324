import CFFmpeg
import CMediaShims

/// An FFmpeg failure: the operation Sluice attempted, FFmpeg's code and FFmpeg's own message.
public struct FFmpegError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var message: String

    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
        self.message = FFmpegError.message(for: code)
    }

    /// For failures that have no FFmpeg code (a codec that does not exist, a bad argument).
    public init(_ operation: String, message: String) {
        self.operation = operation
        self.code = sluice_averror(EINVAL)
        self.message = message
    }

    public var description: String { "\(operation): \(message) (\(code))" }

    public static func message(for code: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            sluice_av_strerror(code, buffer.baseAddress, 256)
            return String(cString: buffer.baseAddress!)
        }
    }

    static let again = sluice_averror_eagain()
    static let endOfFile = sluice_averror_eof()
}

/// Throws when an FFmpeg call returned a negative code; passes non-negative results through.
@discardableResult
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
    if result < 0 { throw FFmpegError(operation(), code: result) }
    return result
}

public let noPTS: Int64 = sluice_av_nopts_value()

/// A size, rate or count for one of FFmpeg's Int32 fields. Such values can come from a
/// publisher (a picture size, a sample rate): one that does not fit is an error, not a trap.
func int32(_ value: Int, _ what: @autoclosure () -> String) throws -> Int32 {
    guard let v = Int32(exactly: value) else {
        throw FFmpegError(what(), message: "\(value) does not fit FFmpeg's 32-bit field")
    }
    return v
}
