using System.Text;
using Smp.Host.Running;

namespace Smp.Host.Tests.Running;

/// <summary>The console line that ends a Linux panic, seen byte by byte as COM1 delivers it.</summary>
public sealed class PanicLineWatchTests
{
    private static List<string> Feed(string console)
    {
        var seen = new List<string>();
        var watch = new PanicLineWatch(seen.Add);
        foreach (var b in Encoding.ASCII.GetBytes(console)) watch.Write(b);
        return seen;
    }

    [Fact]
    public void The_end_of_a_panic_is_reported_once_with_its_line()
    {
        var seen = Feed(
            "[    1.190232] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n" +
            "[    1.190395] Kernel Offset: disabled\r\n" +
            "[    1.190401] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---\r\n" +
            "[    2.000000] ---[ end Kernel panic - not syncing: again ]---\n");

        Assert.Equal(["---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---"], seen);
    }

    [Fact]
    public void Other_lines_with_dashes_and_a_panic_still_printing_are_not_its_end()
    {
        Assert.Empty(Feed("[    0.1] smp-init: a-b ---[ cut here ]---\n---[ end trace 0000000000000000 ]---\n" +
                          "Kernel panic - not syncing: x\n---[ end Kernel panic - not syncing: x ]"));
    }
}
