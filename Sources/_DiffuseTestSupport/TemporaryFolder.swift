import Foundation
import XCTest

extension XCTestCase {
    /// A new empty folder under the system temporary directory, removed with its contents when
    /// the current test ends (pass or fail), so test runs leave nothing behind.
    public func makeTemporaryFolder(prefix: String = "diffuse-tests") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
