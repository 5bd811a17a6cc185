using System.Text;
using Iced.Intel;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Bios.GuestDisk;

namespace Smp.Devices.Tests.Platform.Bios;

public sealed class BiosTablesTests
{
    private const int Results = 0x700;

    // The standard scans (ACPI spec §5.2.5.1 for the RSDP; MP spec §4 for "_MP_"): the EBDA's first KiB, then
    // 0xE0000–0xFFFFF, on 16-byte boundaries, accepting a signature only with a valid checksum.
    private static ulong? Scan(BiosMachine m, string signature, int checksumLength)
    {
        ulong ebda = (ulong)m.Word(0x40E) << 4;
        foreach (var (start, end) in new[] { (ebda, ebda + 1024), (0xE0000UL, 0x100000UL) })
            for (ulong a = start; a < end; a += 16)
            {
                byte[] b = m.Bytes(a, Math.Max(checksumLength, signature.Length));
                if (Encoding.ASCII.GetString(b, 0, signature.Length) != signature) continue;
                int sum = 0;
                for (int i = 0; i < checksumLength; i++) sum += b[i];
                if ((sum & 0xFF) == 0) return a;
            }
        return null;
    }

    private static int Sum(byte[] b) { int s = 0; foreach (byte x in b) s += x; return s & 0xFF; }

    [Fact]
    public void AfterPostTheRsdpRsdtMadtAndMpTablesAreFoundByTheStandardScans()
    {
        using var m = new BiosMachine(new DiskImage(Build(a => Exit(a, 0))), cpus: 4);
        m.Run();

        ulong rsdp = Assert.NotNull(Scan(m, "RSD PTR ", 20));
        ulong rsdt = m.Dword(rsdp + 16);
        Assert.Equal(m.Platform.Map.AcpiBase, rsdt);
        Assert.Equal("RSDT", Encoding.ASCII.GetString(m.Bytes(rsdt, 4)));
        uint rsdtLength = m.Dword(rsdt + 4);
        Assert.Equal(0, Sum(m.Bytes(rsdt, (int)rsdtLength)));
        ulong madt = 0;
        for (ulong p = rsdt + 36; p < rsdt + rsdtLength; p += 4)
            if (Encoding.ASCII.GetString(m.Bytes(m.Dword(p), 4)) == "APIC") madt = m.Dword(p);
        Assert.NotEqual(0UL, madt);
        uint madtLength = m.Dword(madt + 4);
        Assert.Equal(0, Sum(m.Bytes(madt, (int)madtLength)));
        Assert.Equal(0xFEE00000u, m.Dword(madt + 0x24));
        var apicIds = new List<int>();
        int ioApics = 0;
        for (ulong e = madt + 0x2C; e < madt + madtLength; e += m.Byte(e + 1))
        {
            if (m.Byte(e) == 0 && (m.Dword(e + 4) & 1) != 0) apicIds.Add(m.Byte(e + 3));
            if (m.Byte(e) == 1) { ioApics++; Assert.Equal(0xFEC00000u, m.Dword(e + 4)); }
        }
        Assert.Equal([0, 1, 2, 3], apicIds);
        Assert.Equal(1, ioApics);

        ulong mp = Assert.NotNull(Scan(m, "_MP_", 16));
        ulong table = m.Dword(mp + 4);
        Assert.Equal("PCMP", Encoding.ASCII.GetString(m.Bytes(table, 4)));
        Assert.Equal(0, Sum(m.Bytes(table, m.Word(table + 4))));
        int processors = 0;
        for (ulong e = table + 0x2C, n = 0; n < m.Word(table + 0x22); n++)
        {
            if (m.Byte(e) == 0) processors++;
            e += m.Byte(e) == 0 ? 20UL : 8UL;
        }
        Assert.Equal(4, processors);
    }

    [Fact]
    public void GuestRealModeScanFindsTheRsdpAndTheMpFloatingPointerInTheBiosArea()
    {
        byte[] image = Build(a =>
        {
            Label loop = a.CreateLabel(), notRsdp = a.CreateLabel(), next = a.CreateLabel();
            a.mov(__dword_ptr[Results], 0);
            a.mov(__dword_ptr[Results + 4], 0);
            a.mov(ax, 0xE000);
            a.Label(ref loop);
            a.mov(es, ax);
            a.cmp(__dword_ptr.es[0], 0x20445352);        // "RSD "
            a.jne(notRsdp);
            a.cmp(__dword_ptr.es[4], 0x20525450);        // "PTR "
            a.jne(notRsdp);
            a.mov(__word_ptr[Results], ax);
            a.mov(ebx, __dword_ptr.es[16]);              // RSDT address
            a.mov(__dword_ptr[Results + 8], ebx);
            a.Label(ref notRsdp);
            a.cmp(__dword_ptr.es[0], 0x5F504D5F);        // "_MP_"
            a.jne(next);
            a.mov(__word_ptr[Results + 4], ax);
            a.Label(ref next);
            a.inc(ax);
            a.jnz(loop);
            Exit(a, 9);
        });
        using var m = new BiosMachine(new DiskImage(image), cpus: 2);
        m.Run();

        Assert.Equal(19, m.ExitCode);
        Assert.Equal(AcpiTables.DefaultRsdpAddress >> 4, m.Word(Results));
        Assert.Equal(MpTable.DefaultFloatingPointerAddress >> 4, m.Word(Results + 4));
        Assert.Equal((uint)m.Platform.Map.AcpiBase, m.Dword(Results + 8));
    }
}
