namespace Smp.Host.Tests.Guest;

/// <summary>
/// A test that needs <c>qemu-system-x86_64</c>. Skipped when QEMU is absent on a developer machine;
/// when the <c>CI</c> variable is set it always runs, so a missing QEMU fails the build instead of hiding.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class QemuFactAttribute : FactAttribute
{
    public QemuFactAttribute()
    {
        if (Qemu.Path is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = "qemu-system-x86_64 is not installed (CI installs it; see .ci/run)";
        }
    }
}

/// <summary>The QEMU theory counterpart of <see cref="QemuFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class QemuTheoryAttribute : TheoryAttribute
{
    public QemuTheoryAttribute()
    {
        if (Qemu.Path is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = "qemu-system-x86_64 is not installed (CI installs it; see .ci/run)";
        }
    }
}
