using System.Buffers.Binary;

namespace Smp.Host.Tests.Loaders;

/// <summary>Kernels, modules and initrds smp cannot boot: one sentence naming what was expected and what the file is, exit 2.</summary>
public sealed class KernelBadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-badkernel-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // Runs smp and checks the shape every refusal has: exit 2, nothing on stdout, one line on stderr, no stack trace.
    private static string Refusal(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = SmpCli.Run(["run", .. args, "--max-instructions", "100000"], stdout, stderr);
        string err = stderr.ToString();
        Assert.True(code == ExitCodes.Usage, $"exit {code}: {err}");
        Assert.Equal(string.Empty, stdout.ToString());
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("smp run: ", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        return err;
    }

    // The test kernel's ELF32 with its one program header moved to physical (and virtual) address paddr.
    private static byte[] ElfAt(uint paddr)
    {
        byte[] elf = MultibootTestKernel.V1Elf(elf64: false);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(60), paddr);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(64), paddr);
        return elf;
    }

    [Fact]
    public void A_truncated_elf_is_named_as_such()
    {
        byte[] elf = MultibootTestKernel.V1Elf(elf64: false);
        string err = Refusal("--kernel", Write("cut.elf", elf[..0x1100]));
        Assert.Contains("is a truncated ELF32 file: program header 0's", err);
        Assert.Contains("past the file's end at 0x1100", err);
    }

    [Fact]
    public void A_multiboot_header_with_a_bad_checksum_is_refused()
    {
        byte[] elf = MultibootTestKernel.V1Elf(elf64: false);
        elf[0x1008] ^= 1; // the checksum's low byte
        string err = Refusal("--kernel", Write("badsum.elf", elf));
        Assert.Contains("has the Multiboot v1 magic 0x1BADB002 at offset 0x1000 but a bad checksum", err);
        Assert.Contains("expected magic + flags + checksum = 0", err);
    }

    [Fact]
    public void A_multiboot2_header_with_a_bad_checksum_is_refused()
    {
        byte[] elf = MultibootTestKernel.V2Elf();
        elf[0x100C] ^= 1;
        Assert.Contains("has the Multiboot2 magic 0xE85250D6 at offset 0x1000 but a bad checksum", Refusal("--kernel", Write("badsum2.elf", elf)));
    }

    [Fact]
    public void An_elf_segment_over_the_bios_is_refused()
    {
        string err = Refusal("--kernel", Write("bios.elf", ElfAt(0xF0000)));
        Assert.Contains("ELF program header 0 at 0xF0000–", err);
        Assert.Contains("overlaps the BIOS area 0x9FC00–0xFFFFF", err);
    }

    [Fact]
    public void An_elf_segment_beyond_ram_is_refused()
    {
        string err = Refusal("--kernel", Write("high.elf", ElfAt(0x1000_0000)), "--memory", "64");
        Assert.Contains("exceeds the machine's 64 MiB of RAM", err);
        Assert.Contains("expected it in free RAM (0x7000–0x9FBFF, 0x100000–0x3FEFFFF)", err);
    }

    [Fact]
    public void A_bzimage_older_than_protocol_2_02_is_refused()
    {
        string err = Refusal("--kernel", Write("old.bz", SyntheticBzImage.Build(version: 0x0201)));
        Assert.Contains("speaks boot protocol 2.01; expected 2.02 or later", err);
    }

    [Fact]
    public void An_initrd_larger_than_the_space_below_initrd_addr_max_is_refused()
    {
        string kernel = Write("small.bz", SyntheticBzImage.Build(initrdAddrMax: 0x3F_FFFF));
        string initrd = Write("big.cpio", new byte[4 << 20]);
        string err = Refusal("--kernel", kernel, "--initrd", initrd);
        Assert.Contains("the initrd is 4194304 bytes, larger than the", err);
        Assert.Contains("initrd_addr_max + 1 = 0x400000", err);
    }

    [Fact]
    public void A_file_of_no_known_format_is_named()
    {
        string err = Refusal("--kernel", Write("notes.txt", "just some text\n"u8.ToArray()));
        Assert.Contains("is a text file, not a bootable kernel; expected a Multiboot v1 kernel (magic 0x1BADB002 in its first 8 KiB)", err);
        Assert.Contains("or a Linux bzImage (\"HdrS\" at offset 0x202).", err);
    }

    [Fact]
    public void An_elf_without_a_multiboot_header_is_named_with_its_machine()
    {
        byte[] elf = MultibootTestKernel.V1Elf(elf64: true);
        elf.AsSpan(0x1000, 12).Clear();
        Assert.Contains("is an ELF64 x86-64 executable, not a bootable kernel", Refusal("--kernel", Write("plain.elf", elf)));
    }

    [Fact]
    public void Initrd_and_kernel_paths_go_through_the_input_file_check()
    {
        string kernel = Write("k.elf", MultibootTestKernel.V1Elf(elf64: false));
        Assert.Contains($"--initrd '{_dir}' is a directory, not a file.", Refusal("--kernel", kernel, "--initrd", _dir));
        Assert.Contains("--kernel '/nonexistent/k' does not exist.", Refusal("--kernel", "/nonexistent/k"));
        Assert.Contains("give --disk IMAGE or --kernel FILE", Refusal());
        byte[] sector = new byte[512];
        sector[510] = 0x55;
        sector[511] = 0xAA;
        Assert.Contains("--append and --initrd need --kernel FILE", Refusal("--disk", Write("disk.img", sector), "--append", "x"));
    }
}
