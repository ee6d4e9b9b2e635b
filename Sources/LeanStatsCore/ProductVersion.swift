/// The product's version, printed by `leanstats --version` and the one place it is defined.
public enum ProductVersion {
    /// The version: year, month and patch of the release, `YYYY.M.PATCH`.
    public static let current = "2026.12.0"
}
