import Foundation
import XCTest

extension XCTestCase {
    /// An executable of this package, found beside the test bundle in the build folder (the
    /// README's test command builds every product); an error saying so when it is missing.
    public func builtProduct(named name: String) throws -> URL {
        let bundle = Bundle(for: Self.self).bundleURL
        for folder in [bundle, bundle.deletingLastPathComponent()] {
            let url = folder.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        struct NotBuilt: Error, CustomStringConvertible { var description: String }
        throw NotBuilt(description: "\(name) is not built beside the tests (\(bundle.path)); the README's test command builds every product")
    }
}
