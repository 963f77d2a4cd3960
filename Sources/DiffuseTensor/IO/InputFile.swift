import Foundation

/// Reads a whole input file, and says plainly why not: it does not exist, it is a folder,
/// permission is denied, it is not a regular file, or the system's own reason.
public enum InputFile {
    /// The largest file the readers load whole: 16 GiB.
    public static let maximumSize = 16 << 30

    /// The bytes of `url` (at most `maximumSize` bytes, ``maximumSize`` by default), or the
    /// reason it cannot be read.
    public static func contents(of url: URL, mapped: Bool = false, maximumSize limit: Int = maximumSize) -> Result<Data, FileReadError> {
        func failure(_ reason: String) -> Result<Data, FileReadError> { .failure(FileReadError(path: url.path, reason: reason)) }
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            return failure(errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return failure("it is a folder, not a file")
        case S_IFREG: break
        default: return failure("it is not a regular file")
        }
        guard Int(info.st_size) <= limit else { return failure("it is \(info.st_size) bytes, more than the limit of \(limit)") }
        do {
            return .success(try Data(contentsOf: url, options: mapped ? .mappedIfSafe : []))
        } catch {
            let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
            if descriptor < 0 { return failure(String(cString: strerror(errno))) }
            close(descriptor)
            return failure(error.localizedDescription)
        }
    }
}

/// An input file that cannot be read, with the reason.
public struct FileReadError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public var description: String { "cannot read '\(path)': \(reason)" }
}
