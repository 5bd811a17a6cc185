using System.Diagnostics;

namespace Smp.Host.Tests.Linux;

/// <summary>
/// Debian's Linux 6.1 kernel for the tests: the <c>linux-image-6.1.*-amd64</c> package cached under
/// <c>~/.cache/smp</c> (or <c>$SMP_CACHE</c>; <c>.ci/run</c> downloads it there with <c>apt-get download</c>),
/// its <c>boot/</c> directory unpacked once next to it (<c>dpkg-deb --fsys-tarfile | tar</c>). Null when no package is cached.
/// </summary>
internal static class DebianKernel
{
    /// <summary>The cache directory.</summary>
    public static string CacheDirectory { get; } = Environment.GetEnvironmentVariable("SMP_CACHE") is { Length: > 0 } dir
        ? dir
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "smp");

    private static readonly Lazy<(string Vmlinuz, string SystemMap)?> Unpacked = new(Unpack);

    /// <summary>The cached package file, or null.</summary>
    public static string? Package =>
        Directory.Exists(CacheDirectory)
            ? Directory.GetFiles(CacheDirectory, "linux-image-6.1.*-amd64_*_amd64.deb").Order(StringComparer.Ordinal).LastOrDefault()
            : null;

    /// <summary>The kernel image and its System.map, unpacked from the cached package; null without one.</summary>
    public static (string Vmlinuz, string SystemMap)? Files => Unpacked.Value;

    private static (string, string)? Unpack()
    {
        if (Package is not { } deb) return null;
        string root = Path.Combine(CacheDirectory, Path.GetFileNameWithoutExtension(deb));
        string boot = Path.Combine(root, "boot");
        if (!Directory.Exists(boot) || Directory.GetFiles(boot, "vmlinuz-*").Length == 0)
        {
            string staging = root + ".partial";
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            Directory.CreateDirectory(staging);
            // Only ./boot (vmlinuz, System.map, config: 8 MiB), not the 400 MiB of modules: dpkg-deb's tar stream into tar.
            using var unpack = Process.Start(new ProcessStartInfo("sh", ["-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -x -C \"$2\" ./boot", "sh", deb, staging])
            {
                RedirectStandardError = true,
            })!;
            unpack.WaitForExit();
            if (unpack.ExitCode != 0) return null;
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
            Directory.Move(staging, root);
        }

        string vmlinuz = Directory.GetFiles(boot, "vmlinuz-*").Single();
        string map = Directory.GetFiles(boot, "System.map-*").Single();
        return (vmlinuz, map);
    }
}

/// <summary>A test that boots Debian's kernel: skipped, with the way to get it, when no package is cached (CI downloads it).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DebianKernelFactAttribute : FactAttribute
{
    public DebianKernelFactAttribute()
    {
        if (Guest.Qemu.Path is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = "qemu-system-x86_64 is not installed (CI installs it; see .ci/run)";
        else if (DebianKernel.Package is null)
            Skip = $"no linux-image-6.1.*-amd64 package in {DebianKernel.CacheDirectory}: .ci/run downloads it (apt-get download linux-image-6.1.0-<N>-amd64 there)";
    }
}
