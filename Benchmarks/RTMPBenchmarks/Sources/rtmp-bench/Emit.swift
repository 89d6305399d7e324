import Foundation

/// Unbuffered output, so a long benchmark shows each line as it is measured.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
