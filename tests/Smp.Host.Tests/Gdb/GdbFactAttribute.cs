namespace Smp.Host.Tests.Gdb;

/// <summary>
/// A test that drives Debian's gdb. Skipped when gdb is absent on a developer machine; when the <c>CI</c> variable is
/// set it always runs, so a missing gdb fails the build instead of hiding (.ci/run installs it).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GdbFactAttribute : FactAttribute
{
    public GdbFactAttribute()
    {
        if (Path is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = "gdb is not installed (CI installs it; see .ci/run)";
        }
    }

    /// <summary>The gdb on PATH, or null.</summary>
    public static string? Path { get; } = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => System.IO.Path.Combine(dir, "gdb"))
        .FirstOrDefault(File.Exists);
}
