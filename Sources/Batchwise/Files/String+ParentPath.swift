import SystemPackage

extension String {
    /// The folder part of this path: the path without its last component — "" for a bare name
    /// such as `a`, "/" for a name in the root, `a` for `a/b/`. It is what
    /// `NSString.deletingLastPathComponent` gives, which swift-corelibs-foundation traps on for a
    /// path of one character (`a`, `x/`): a one-letter `--checkpoint-dir` or `--metrics` must be
    /// an ordinary path, not a crash.
    package var parentPath: String {
        FilePath(self).removingLastComponent().string
    }
}
