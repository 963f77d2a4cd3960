import Foundation

/// Writes files atomically: the data goes to a temporary file in the same folder, which is
/// then renamed over the destination, so an interrupted run leaves either the old file or the
/// new one, never a partial file.
///
/// A process killed during a write leaves its temporary file (`.NAME.PID.RANDOM.tmp`) behind;
/// the next write to the same destination removes every such file whose process no longer runs.
public enum AtomicFile {
    /// Removes the temporary files that writers of `url` left when they were killed: files named
    /// `.NAME.PID.RANDOM.tmp` beside it that no writer holds locked (`flock`) and whose process
    /// `PID` no longer exists or that are older than ten seconds. A concurrent writer's file is
    /// locked and left alone.
    static func removeAbandonedTemporaryFiles(of url: URL) {
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent)."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let middle = name.dropFirst(prefix.count).dropLast(4).split(separator: ".")
            guard middle.count == 2, let pid = Int32(middle[0]), pid > 0, UInt32(middle[1]) != nil else { continue }
            let path = folder.appendingPathComponent(name).path
            // A writer holds an exclusive lock on its temporary file while it writes: a file
            // nobody locks is abandoned when its process is gone, or (a reused identifier, a
            // writer in another PID namespace) when it is older than ten seconds.
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
            var info = stat()
            let old = fstat(descriptor, &info) == 0 && Double(time(nil)) - Double(info.st_mtim.tv_sec) > 10
            let gone = kill(pid, 0) != 0 && errno == ESRCH
            if (gone || old) && (info.st_mode & S_IFMT) == S_IFREG {
                unlink(path)
            }
        }
    }

    /// Writes `data` to `url` atomically, creating the parent folder if needed.
    ///
    /// - Throws: ``OutputFolderError`` when the parent folder cannot be created, or
    ///   ``FileWriteError`` with the system's reason when the file cannot be written or renamed.
    ///   The data is flushed to disk (`fsync`) before the rename, and the folder after it.
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try createFolder(at: folder)
        removeAbandonedTemporaryFiles(of: url)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp")
        func failure(_ what: String) -> FileWriteError {
            FileWriteError(path: url.path, reason: "\(what) (\(String(cString: strerror(errno))))")
        }
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create a file in '\(folder.path)'") }
        // Held until the file is renamed and closed: the mark of a live writer.
        flock(descriptor, LOCK_EX)
        var closed = false
        defer {
            if !closed { close(descriptor) }
        }
        do {
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw failure("cannot write")
                    }
                    if n == 0 {
                        errno = EIO
                        throw failure("cannot write (no progress)")
                    }
                    offset += n
                }
            }
            guard fsync(descriptor) == 0 else { throw failure("cannot flush to disk") }
            closed = true
            guard close(descriptor) == 0 else { throw failure("cannot close") }
            guard rename(temporary.path, url.path) == 0 else { throw failure("cannot rename the temporary file over it") }
            // The rename itself reaches the disk when the folder is flushed.
            let folderDescriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folderDescriptor >= 0 {
                fsync(folderDescriptor)
                close(folderDescriptor)
            }
        } catch {
            unlink(temporary.path)
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
            let reason: String
            if isFolder(ancestor) == false {
                reason = "'\(ancestor.path)' is a file"
            } else {
                // The system's own words, from the first folder that cannot be made.
                var missing: [URL] = []
                var u = url
                while isFolder(u) == nil, u.path != "/" { missing.append(u); u = u.deletingLastPathComponent().standardizedFileURL }
                let first = missing.last ?? url
                errno = 0
                let made = mkdir(first.path, 0o755) == 0
                let cause = made ? error.localizedDescription : String(cString: strerror(errno))
                if made { rmdir(first.path) }
                reason = "'\(first.deletingLastPathComponent().path)' does not accept a new folder '\(first.lastPathComponent)': \(cause)"
            }
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

/// A file that cannot be written, with the system's reason (permission denied, no space left,
/// read-only file system, …).
public struct FileWriteError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public var description: String { "cannot write '\(path)': \(reason)" }
}
