using System.Text.RegularExpressions;

namespace Smp.Host.Tests.Loaders;

/// <summary>One run the README of <c>shared/kvm-unit-tests</c> lists: an image, a CPU count and its arguments.</summary>
/// <param name="Name">The test (its image is <c>x86/NAME.flat</c>).</param>
/// <param name="Cpus">QEMU's <c>-smp N</c>.</param>
/// <param name="Append">QEMU's <c>-append</c> (the test's arguments), or null.</param>
/// <param name="QemuParams">Other QEMU options of the row (a CPU model), for messages; smp's CPU model is fixed.</param>
/// <param name="QemuResult">What the README says QEMU 7.2 gives.</param>
internal sealed record KvmUnitTestRun(string Name, int Cpus, string? Append, string? QemuParams, string QemuResult)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Cpus} CPU{(Cpus == 1 ? "" : "s")}{(Append is null ? "" : $", -append {Append}")})";
}

/// <summary>
/// The kvm-unit-tests images beside the checkout: <c>../shared/kvm-unit-tests</c> relative to the repository root
/// (the directory holding <c>Smp.sln</c>), which is where CI lays <c>shared/</c> and where a worktree under
/// <c>/work/wt</c> finds <c>/work/wt/shared</c>.
/// </summary>
internal static partial class KvmUnitTestsFolder
{
    /// <summary>The folder, or null when it is absent.</summary>
    public static string? Path { get; } = Find();

    /// <summary>The message for a skipped test when the folder is absent.</summary>
    public const string Absent = "../shared/kvm-unit-tests is absent beside the checkout (CI and the worktrees have it); nothing to run";

    /// <summary>The image of <paramref name="name"/>.</summary>
    public static string Image(string name) => System.IO.Path.Combine(Path!, "x86", name + ".flat");

    /// <summary>The names of the images in <c>x86/</c>.</summary>
    public static IReadOnlyList<string> Images() =>
        Directory.GetFiles(System.IO.Path.Combine(Path!, "x86"), "*.flat").Select(f => System.IO.Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The runs of the README's table: one per test and CPU count ("2 and 3" gives two).</summary>
    public static IReadOnlyList<KvmUnitTestRun> Runs()
    {
        var runs = new List<KvmUnitTestRun>();
        foreach (string line in File.ReadAllLines(System.IO.Path.Combine(Path!, "README.md")))
        {
            string[] cells = line.Split('|');
            if (cells.Length < 6 || !line.TrimStart().StartsWith('|')) continue;
            string name = cells[1].Trim(), counts = cells[2].Trim(), options = cells[3].Trim(), result = cells[4].Trim();
            if (!Regex.IsMatch(counts, @"^\d")) continue; // the header and its rule
            string? append = null, qemu = null;
            var quoted = Backticks().Matches(options).Select(m => m.Groups[1].Value).ToArray();
            if (options.StartsWith("ARGS", StringComparison.Ordinal) && quoted.Length > 0) append = quoted[0];
            else if (quoted.Length > 0) qemu = string.Join(' ', quoted);
            foreach (Match n in Regex.Matches(counts, @"\d+")) runs.Add(new KvmUnitTestRun(name, int.Parse(n.Value, System.Globalization.CultureInfo.InvariantCulture), append, qemu, result));
        }

        return runs;
    }

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(System.IO.Path.Combine(dir.FullName, "Smp.sln"))) continue;
            string folder = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "kvm-unit-tests"));
            return Directory.Exists(System.IO.Path.Combine(folder, "x86")) ? folder : null;
        }

        return null;
    }

    [GeneratedRegex("`([^`]*)`")]
    private static partial Regex Backticks();
}

/// <summary>A theory over the kvm-unit-tests images; skipped with a message when the folder is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KvmUnitTestsTheoryAttribute : TheoryAttribute
{
    public KvmUnitTestsTheoryAttribute()
    {
        if (KvmUnitTestsFolder.Path is null) Skip = KvmUnitTestsFolder.Absent;
    }
}

/// <summary>A fact about the kvm-unit-tests images; skipped with a message when the folder is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KvmUnitTestsFactAttribute : FactAttribute
{
    public KvmUnitTestsFactAttribute()
    {
        if (KvmUnitTestsFolder.Path is null) Skip = KvmUnitTestsFolder.Absent;
    }
}
