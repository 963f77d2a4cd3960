import Foundation

/// Writes files atomically: the data goes to a temporary file in the same folder, which is
/// then renamed over the destination, so an interrupted run leaves either the old file or the
/// new one, never a partial file.
public enum AtomicFile {
    /// Writes `data` to `url` atomically, creating the parent folder if needed.
    ///
    /// - Throws: ``OutputFolderError`` when the parent folder cannot be created, or the error
    ///   of the write or rename.
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try createFolder(at: folder)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp")
        do {
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                                                                NSLocalizedDescriptionKey: "cannot rename \(temporary.path) to \(url.path): \(String(cString: strerror(errno)))"])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Creates the folder `url` and its parents unless it already is a folder.
    ///
    /// - Throws: ``OutputFolderError`` naming the path when it (or a parent) is a file or
    ///   cannot be created.
    public static func createFolder(at url: URL) throws {
        let url = url.standardizedFileURL
        func isFolder(_ u: URL) -> Bool? {
            var folder: ObjCBool = false
            return FileManager.default.fileExists(atPath: u.path, isDirectory: &folder) ? folder.boolValue : nil
        }
        if let folder = isFolder(url) {
            guard folder else { throw OutputFolderError(path: url.path, reason: "it exists and is not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            // Another process may have created it meanwhile.
            if isFolder(url) == true { return }
            // Name the file in the way when a parent is one; otherwise the system's message.
            var ancestor = url
            while true {
                let parent = ancestor.deletingLastPathComponent().standardizedFileURL
                if parent.path == ancestor.path { break }
                ancestor = parent
                if isFolder(ancestor) != nil { break }
            }
            let reason = isFolder(ancestor) == false ? "'\(ancestor.path)' is a file" : error.localizedDescription
            throw OutputFolderError(path: url.path, reason: "cannot create it (\(reason))")
        }
    }

    /// Writes a UTF-8 string to `url` atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}

/// An output folder that cannot be used: the path exists as a file or cannot be created.
public struct OutputFolderError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public var description: String { "output folder '\(path)': \(reason)" }
}
