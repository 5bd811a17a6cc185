using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Tests.Loaders;

/// <summary>
/// The Linux boot protocol's real-mode entry: a synthetic bzImage whose setup code prints its segment registers, SP,
/// the header fields the loader wrote and the command line at cmd_line_ptr, then exits through isa-debug-exit.
/// </summary>
public sealed class LinuxBootTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-linux-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 16-bit code for file offset 0x270, run at CS = 0x1020 (IP 0x70), DS = 0x1000 (the header at DS:0x1F1...).
    private static byte[] ReportEntryState()
    {
        var a = new Assembler(16);
        Label hex16 = a.CreateLabel(), hex8 = a.CreateLabel(), nibble = a.CreateLabel(), space = a.CreateLabel(), line = a.CreateLabel(), done = a.CreateLabel(), digit = a.CreateLabel();
        a.mov(dx, 0x3F8);
        a.mov(ax, ds); a.call(hex16); a.call(space);
        a.mov(ax, ss); a.call(hex16); a.call(space);
        a.mov(ax, sp); a.call(hex16); a.call(space);
        a.mov(al, __byte_ptr[0x210]); a.call(hex8); a.call(space);           // type_of_loader
        a.mov(al, __byte_ptr[0x211]); a.call(hex8); a.call(space);           // loadflags
        a.mov(ax, __word_ptr[0x224]); a.call(hex16); a.call(space);          // heap_end_ptr
        a.mov(ax, __word_ptr[0x22A]); a.call(hex16);                         // cmd_line_ptr, high word
        a.mov(ax, __word_ptr[0x228]); a.call(hex16); a.call(space);          // and low word
        a.mov(ax, 0x2000);                                                    // the command line at 0x20000
        a.mov(ds, ax);
        a.xor(si, si);
        a.Label(ref line);
        a.lodsb();
        a.test(al, al);
        a.jz(done);
        a.@out(dx, al);
        a.jmp(line);
        a.Label(ref done);
        a.mov(al, (byte)'\n');
        a.@out(dx, al);
        a.mov(al, 0);
        a.@out(0xF4, al);
        a.hlt();

        a.Label(ref hex16);
        a.push(ax);
        a.mov(al, ah);
        a.call(hex8);
        a.pop(ax);
        a.call(hex8);
        a.ret();
        a.Label(ref hex8);
        a.push(ax);
        a.shr(al, 4);
        a.call(nibble);
        a.pop(ax);
        a.push(ax);
        a.and(al, 0xF);
        a.call(nibble);
        a.pop(ax);
        a.ret();
        a.Label(ref nibble);
        a.add(al, (byte)'0');
        a.cmp(al, (byte)'9');
        a.jbe(digit);
        a.add(al, 7);
        a.Label(ref digit);
        a.@out(dx, al);
        a.ret();
        a.Label(ref space);
        a.push(ax);
        a.mov(al, (byte)' ');
        a.@out(dx, al);
        a.pop(ax);
        a.ret();

        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0x70);
        return stream.ToArray();
    }

    [Fact]
    public void The_setup_code_is_entered_in_real_mode_at_setup_seg_0x20_with_the_header_fields_a_boot_loader_writes()
    {
        string kernel = Path.Combine(_dir, "bzImage");
        File.WriteAllBytes(kernel, SyntheticBzImage.Build(setup: ReportEntryState()));
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = SmpCli.Run(["run", "--kernel", kernel, "--append", "console=ttyS0 x=1", "--max-instructions", "1000000"], stdout, stderr);

        Assert.Equal(string.Empty, stderr.ToString());
        Assert.Equal(1, code);
        // DS, SS, SP (QEMU's 0xFFF0), type_of_loader 0xFF, loadflags LOADED_HIGH | CAN_USE_HEAP, heap_end_ptr, cmd_line_ptr.
        Assert.Equal("1000 1000 FFF0 FF 81 FE00 00020000 console=ttyS0 x=1\n", stdout.ToString());
    }

    // Setup code that prints as Linux's does with console=ttyS0: each character through INT 10h and to COM1.
    private static byte[] PrintOnScreenAndSerial(string text)
    {
        var a = new Assembler(16);
        a.mov(dx, 0x3F8);
        foreach (char c in text)
        {
            a.mov(ax, (ushort)(0x0E00 | c));
            a.@int(0x10);
            a.@out(dx, al);
        }

        a.mov(al, 0);
        a.@out(0xF4, al);
        a.hlt();
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0x70);
        return stream.ToArray();
    }

    [Theory]
    [InlineData(null, "ok\n")]
    [InlineData("none", "ok\n")]
    [InlineData("stdout", "ookk\n\n")]
    public void A_kernel_prints_once_on_stdout_as_under_qemu_nographic_unless_the_screen_is_asked_for(string? screen, string expected)
    {
        string kernel = Path.Combine(_dir, "bzImage");
        File.WriteAllBytes(kernel, SyntheticBzImage.Build(setup: PrintOnScreenAndSerial("ok\n")));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] args = ["run", "--kernel", kernel, "--max-instructions", "1000000"];

        int code = SmpCli.Run(screen is null ? args : [.. args, "--screen", screen], stdout, stderr);

        Assert.Equal(string.Empty, stderr.ToString());
        Assert.Equal(1, code);
        Assert.Equal(expected, stdout.ToString());
    }

    [Fact]
    public void An_initrd_lands_page_aligned_below_initrd_addr_max_and_the_header_says_where()
    {
        var file = new Smp.Host.Loaders.KernelFile("bz", SyntheticBzImage.Build(initrdAddrMax: 0x3F_FFFF));
        var initrd = new Smp.Host.Loaders.KernelModule(new Smp.Host.Loaders.KernelFile("i", new byte[5000]), "i");
        var map = new Smp.Devices.Platform.MemoryMap(64UL << 20);
        var image = Smp.Host.Loaders.KernelDetector.Open(file, new Smp.Host.Loaders.BootArguments("", [initrd], map));
        using var memory = new Smp.Devices.Memory.PhysicalMemory(64UL << 20);
        var entry = image.Load(new Smp.Devices.Platform.Firmware.KernelLoadContext(memory, map, Smp.Devices.Platform.AcpiTables.Build([0], 0, map.AcpiBase)));

        Assert.Equal(Smp.Devices.Platform.Firmware.KernelEntryMode.RealModeSetup, entry.Mode);
        Assert.Equal((ushort)0x1000, entry.Segment);
        uint address = (uint)memory.Read(0x10000 + 0x218, 4), size = (uint)memory.Read(0x10000 + 0x21C, 4);
        Assert.Equal(5000u, size);
        Assert.Equal(0u, address & 0xFFF);
        Assert.True(address + size - 1 <= 0x3F_FFFF, $"initrd at 0x{address:X} ends above initrd_addr_max");
        Assert.Equal(0x3FE000u, address); // the highest page that holds it
    }
}
