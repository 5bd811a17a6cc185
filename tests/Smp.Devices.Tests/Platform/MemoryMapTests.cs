using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class MemoryMapTests
{
    private const ulong MiB = 1024 * 1024, GiB = 1024 * MiB;

    private static void AssertSortedAndDisjoint(IReadOnlyList<E820Entry> map)
    {
        for (int i = 0; i < map.Count; i++)
        {
            Assert.True(map[i].Length > 0);
            if (i > 0) Assert.True(map[i - 1].End <= map[i].Base, $"{map[i - 1]} overlaps {map[i]}");
        }
    }

    private static ulong Total(IReadOnlyList<E820Entry> map, E820Type type) => map.Where(e => e.Type == type).Aggregate(0UL, (s, e) => s + e.Length);

    [Fact]
    public void Map128MiB()
    {
        var map = new MemoryMap(128 * MiB);
        AssertSortedAndDisjoint(map.E820);
        Assert.Equal(
        [
            new E820Entry(0, 0x9FC00, E820Type.Ram),
            new E820Entry(0x9FC00, 0x400, E820Type.Reserved),
            new E820Entry(0xE0000, 0x20000, E820Type.Reserved),
            new E820Entry(0x100000, 128 * MiB - 0x100000 - 0x10000, E820Type.Ram),
            new E820Entry(128 * MiB - 0x10000, 0x10000, E820Type.Acpi),
            new E820Entry(0xFEC00000, 0x1000, E820Type.Reserved),
            new E820Entry(0xFEE00000, 0x1000, E820Type.Reserved),
            new E820Entry(0xFFFC0000, 0x40000, E820Type.Reserved),
        ], map.E820);
        Assert.Equal(128 * MiB, map.RamBelow4G);
        Assert.Equal(0UL, map.RamAbove4G);
        // RAM-backed ranges cover all of RAM except the VGA and option ROM windows (0xA0000–0xDFFFF).
        Assert.Equal(128 * MiB - 0x40000, Total(map.E820, E820Type.Ram) + Total(map.E820, E820Type.Acpi) + 0x400 + 0x20000);
    }

    [Fact]
    public void Map5GiBRemapsAboveThePciHole()
    {
        var map = new MemoryMap(5 * GiB);
        AssertSortedAndDisjoint(map.E820);
        Assert.Equal(3 * GiB, map.PciHoleStart);
        Assert.Equal(2 * GiB, map.RamAbove4G);
        Assert.Equal(new E820Entry(4 * GiB, 2 * GiB, E820Type.Ram), map.E820[^1]);
        Assert.Equal(new E820Entry(3 * GiB - 0x10000, 0x10000, E820Type.Acpi), map.E820.Single(e => e.Type == E820Type.Acpi));
        Assert.DoesNotContain(map.E820, e => e.Type == E820Type.Ram && e.Base < 4 * GiB && e.End > 3 * GiB);
        Assert.Equal(5 * GiB - 0x40000, Total(map.E820, E820Type.Ram) + Total(map.E820, E820Type.Acpi) + 0x400 + 0x20000);
    }

    [Fact]
    public void RegionsAreSortedAndDisjointAndE820BytesAreTwentyEach()
    {
        var map = new MemoryMap(5 * GiB);
        for (int i = 1; i < map.Regions.Count; i++) Assert.True(map.Regions[i - 1].End <= map.Regions[i].Base);
        Assert.Contains(map.Regions, r => r.Name == "VGA window" && r.Base == 0xA0000 && r.Length == 0x20000);

        byte[] bytes = map.E820Bytes();
        Assert.Equal(map.E820.Count * 20, bytes.Length);
        Assert.Equal(0x100000000UL, BitConverter.ToUInt64(bytes, (map.E820.Count - 1) * 20));
        Assert.Equal(1u, BitConverter.ToUInt32(bytes, (map.E820.Count - 1) * 20 + 16));
    }

    [Fact]
    public void RejectsTooLittleRam() => Assert.Throws<ArgumentOutOfRangeException>(() => new MemoryMap(1 * MiB));
}
