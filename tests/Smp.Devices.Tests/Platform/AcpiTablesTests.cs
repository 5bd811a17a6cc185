using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class AcpiTablesTests
{
    private const ulong TablesAddress = 0x07FF_0000;
    private static readonly AcpiTables Tables = AcpiTables.Build([0, 1, 2, 3], ioApicId: 0, TablesAddress, pciMemoryBase: 0x0800_0000);

    private static byte[] Table(ulong address)
    {
        byte[] block = Tables.Tables.Bytes;
        int offset = (int)(address - TablesAddress);
        int length = BinaryPrimitives.ReadInt32LittleEndian(block.AsSpan(offset + 4));
        return block.AsSpan(offset, length).ToArray();
    }

    private static int Sum(byte[] b) => b.Aggregate(0, (s, x) => (s + x) & 0xFF);

    [Fact]
    public void Rsdp_is_revision_2_with_both_checksums_and_the_xsdt_lists_what_the_rsdt_lists()
    {
        byte[] rsdp = Tables.Rsdp.Bytes;
        Assert.Equal(36, rsdp.Length);
        Assert.Equal(2, rsdp[15]);
        Assert.Equal(0, Sum(rsdp[..20]));
        Assert.Equal(0, Sum(rsdp));
        byte[] rsdt = Table(BinaryPrimitives.ReadUInt32LittleEndian(rsdp.AsSpan(16)));
        byte[] xsdt = Table(BinaryPrimitives.ReadUInt64LittleEndian(rsdp.AsSpan(24)));
        Assert.Equal(0, Sum(rsdt));
        Assert.Equal(0, Sum(xsdt));
        var viaRsdt = Enumerable.Range(0, 3).Select(i => (ulong)BinaryPrimitives.ReadUInt32LittleEndian(rsdt.AsSpan(36 + 4 * i)));
        var viaXsdt = Enumerable.Range(0, 3).Select(i => BinaryPrimitives.ReadUInt64LittleEndian(xsdt.AsSpan(36 + 8 * i)));
        Assert.Equal(viaRsdt, viaXsdt);
        Assert.Equal(["APIC", "FACP", "HPET"], viaRsdt.Select(a => Encoding.ASCII.GetString(Table(a), 0, 4)));
    }

    [Fact]
    public void Fadt_points_at_the_modelled_pm_blocks_sci_reset_register_and_century()
    {
        byte[] f = Table(Tables.FadtAddress);
        Assert.Equal(0, Sum(f));
        Assert.Equal(244, f.Length);
        Assert.Equal(3, f[8]);
        Assert.Equal((uint)Tables.FacsAddress, BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(36)));
        Assert.Equal((uint)Tables.DsdtAddress, BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(40)));
        Assert.Equal(9, BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(46)));       // SCI_INT
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(48)));      // SMI_CMD: always in ACPI mode
        Assert.Equal(0x600u, BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(56)));  // PM1a_EVT_BLK
        Assert.Equal(0x604u, BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(64)));  // PM1a_CNT_BLK
        Assert.Equal(0x608u, BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(76)));  // PM_TMR_BLK
        Assert.Equal(new byte[] { 4, 2, 0, 4 }, f[88..92]);
        Assert.Equal(0x32, f[108]);                                                   // CENTURY
        Assert.Equal(0x0007, BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(109))); // LEGACY_DEVICES | 8042 | VGA not present
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(112));
        Assert.NotEqual(0u, flags & (1 << 10)); // RESET_REG_SUP
        Assert.Equal(0u, flags & (1 << 8));     // 24-bit PM timer
        Assert.Equal(new byte[] { 1, 8, 0, 1 }, f[116..120]);                         // I/O, 8 bits, byte access
        Assert.Equal(0xCF9UL, BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(120)));
        Assert.Equal(6, f[128]);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(132)));              // X_FIRMWARE_CTRL: FACS below 4 GiB
        Assert.Equal(Tables.DsdtAddress, BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(140)));
        Assert.Equal(0x608UL, BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(212))); // X_PM_TMR_BLK
    }

    [Fact]
    public void Facs_is_64_byte_aligned()
    {
        Assert.Equal(0UL, Tables.FacsAddress % 64);
        byte[] block = Tables.Tables.Bytes;
        int offset = (int)(Tables.FacsAddress - TablesAddress);
        Assert.Equal("FACS", Encoding.ASCII.GetString(block, offset, 4));
        Assert.Equal(64, BinaryPrimitives.ReadInt32LittleEndian(block.AsSpan(offset + 4)));
    }

    [Fact]
    public void Hpet_table_describes_the_timer_block()
    {
        byte[] h = Table(Tables.HpetAddress);
        Assert.Equal(56, h.Length);
        Assert.Equal(0, Sum(h));
        Assert.Equal(0x8086A201u, BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(36)));
        Assert.Equal(0, h[40]); // system memory
        Assert.Equal(0xFED00000UL, BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(44)));
    }

    [Fact]
    public void Madt_has_qemus_interrupt_source_overrides()
    {
        byte[] m = Table(Tables.MadtAddress);
        var overrides = new List<(byte Source, uint Gsi, ushort Flags)>();
        for (int p = 0x2C; p < m.Length; p += m[p + 1])
            if (m[p] == 2) overrides.Add((m[p + 3], BinaryPrimitives.ReadUInt32LittleEndian(m.AsSpan(p + 4)), BinaryPrimitives.ReadUInt16LittleEndian(m.AsSpan(p + 8))));
        Assert.Equal([(0, 2u, 0), (5, 5u, 0xD), (9, 9u, 0xD), (10, 10u, 0xD), (11, 11u, 0xD)], overrides);
    }

    [IaslFact]
    public void Dsdt_disassembles_with_acpica_into_s5_the_pci_root_bridge_and_the_ps2_controller()
    {
        string iasl = Assert.IsType<string>(IaslFactAttribute.Path, exactMatch: false);
        string dir = Directory.CreateTempSubdirectory("smp-acpi-").FullName;
        try
        {
            string dat = Path.Combine(dir, "dsdt.dat");
            File.WriteAllBytes(dat, Table(Tables.DsdtAddress));
            var start = new ProcessStartInfo(iasl, ["-d", dat]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
            using var process = Process.Start(start)!;
            string log = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, log);
            string asl = File.ReadAllText(Path.Combine(dir, "dsdt.dsl"));
            Assert.Contains("Name (\\_S5, Package (0x04)", asl);
            Assert.Contains("Device (PCI0)", asl);
            Assert.Contains("EisaId (\"PNP0A03\")", asl);
            Assert.Contains("0x0CF8,             // Range Minimum", asl);
            Assert.Contains("0x08000000,         // Range Minimum", asl);
            Assert.Contains("0xFEBFFFFF,         // Range Maximum", asl);
            Assert.Contains("Device (KBD)", asl);
            Assert.Contains("EisaId (\"PNP0303\")", asl);
            Assert.Contains("EisaId (\"PNP0F13\")", asl);
            Assert.Contains("IRQNoFlags ()\n                            {1}", asl.Replace("\r", "", StringComparison.Ordinal));
            Assert.Contains("{12}", asl);
            Assert.Contains("EisaId (\"PNP0B00\")", asl);
            Assert.DoesNotContain("Error", asl, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>A test that needs ACPICA's <c>iasl</c> (Debian's acpica-tools): skipped without it, except under CI, which installs it.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IaslFactAttribute : FactAttribute
{
    public static string? Path { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator).Select(d => System.IO.Path.Combine(d, "iasl")).FirstOrDefault(File.Exists);

    public IaslFactAttribute()
    {
        if (Path is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))) Skip = "iasl is not installed (apt-get install acpica-tools; .ci/run does)";
    }
}
