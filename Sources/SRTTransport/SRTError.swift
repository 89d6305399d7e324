import CSRT

public struct SRTError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var message: String

    public var description: String { "\(operation): \(message) (\(code))" }

    /// The calling thread's last libsrt error.
    static func last(_ operation: String) -> SRTError {
        let code = srt_getlasterror(nil)
        return SRTError(operation: operation, code: code, message: String(cString: srt_getlasterror_str()))
    }
}
