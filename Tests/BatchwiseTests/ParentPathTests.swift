import Testing
@testable import Batchwise

/// `String.parentPath`, the folder part of a path as `NSString.deletingLastPathComponent`
/// gives it, for the paths where that traps (one character) and the usual ones.
@Suite struct ParentPathTests {
    @Test(arguments: [("a", ""), ("x/", ""), ("é", ""), ("ab", ""), ("/a", "/"), ("/", "/"), ("a/b", "a"),
                      ("a/b/", "a"), ("./a", "."), ("/tmp/run/c", "/tmp/run"), ("a//b", "a")])
    func theFolderPartOfAPath(_ path: String, _ parent: String) {
        #expect(path.parentPath == parent)
    }
}
