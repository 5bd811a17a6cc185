using Smp.Devices.Platform;
using Smp.Host.Loaders;
using Smp.Host.Tests.CrossCheck;
using Smp.Host.Tests.Guest;
using Xunit.Abstractions;

namespace Smp.Host.Tests.Loaders;

/// <summary>
/// The Iced-assembled Multiboot test kernels under <c>smp run --kernel</c>: each checks the information it receives and
/// prints it; the v1 kernels print the same lines under QEMU's <c>-kernel</c> (QEMU refuses ELF64 Multiboot kernels,
/// so the ELF64 one must print what the ELF32 one prints under QEMU); Multiboot2 is checked against the specification.
/// </summary>
public sealed class MultibootKernelTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-mb-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private (int Code, string Out, string Err) Smp(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = SmpCli.Run(args, stdout, stderr);
        output.WriteLine($"smp {string.Join(' ', args)} -> {code}\n{stdout}{stderr}");
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string ExpectedV1(string kernel, string append, string module, int moduleSize) =>
        $"""
        multiboot v1 kernel
        magic is 0x2BADB002: yes
        flags=0000024F
        mem_lower=639
        boot_device=8000FFFF
        cmdline={kernel} {append}
        mods_count=1
        module string={module} size={moduleSize} page-aligned: yes
        module text=hello from the module
        mmap entries have size 20: yes
        mem_upper is the mmap's RAM at 1 MiB: yes
        boot_loader_name set: yes
        cr0: pe=1 pg=0: yes
        eflags.if=0: yes
        flat ds reads the reset vector opcode: yes
        a20 on: yes

        """.Replace("\r\n", "\n");

    public static TheoryData<string> V1Variants() => ["elf32", "elf64", "aout"];

    private static byte[] V1(string variant) => variant switch
    {
        "elf32" => MultibootTestKernel.V1Elf(elf64: false),
        "elf64" => MultibootTestKernel.V1Elf(elf64: true),
        _ => MultibootTestKernel.V1Aout(),
    };

    [Theory]
    [MemberData(nameof(V1Variants))]
    public void A_multiboot_v1_kernel_receives_the_information_qemu_gives_it(string variant)
    {
        string kernel = Write($"mb1-{variant}.bin", V1(variant));
        string module = Write("module.txt", "hello from the module\nsecond line\n"u8.ToArray());
        string moduleArg = $"{module} arg1 arg2";
        var (code, stdout, stderr) = Smp("run", "--kernel", kernel, "--append", "console=ttyS0 quiet", "--initrd", moduleArg, "--max-instructions", "5000000");
        Assert.Equal(string.Empty, stderr);
        Assert.Equal(1, code);
        Assert.Equal(ExpectedV1(kernel, "console=ttyS0 quiet", moduleArg, 34), stdout);
    }

    [QemuTheory]
    [InlineData("elf32")]
    [InlineData("aout")]
    public void A_multiboot_v1_kernel_prints_the_same_lines_under_qemu(string variant)
    {
        string kernel = Write($"mb1-{variant}.bin", V1(variant));
        string module = Write("module.txt", "hello from the module\nsecond line\n"u8.ToArray());
        string moduleArg = $"{module} arg1 arg2";
        var qemu = CrossRun.QemuKernel(kernel, "console=ttyS0 quiet", moduleArg, TimeSpan.FromSeconds(20));
        output.WriteLine($"qemu exit {qemu.ExitCode}:\n{qemu.Com1}{qemu.Diagnostics}");
        var (code, stdout, _) = Smp("run", "--kernel", kernel, "--append", "console=ttyS0 quiet", "--initrd", moduleArg);
        Assert.Equal(qemu.Com1, stdout);
        Assert.Equal(qemu.ExitCode, code);
    }

    [Fact]
    public void A_multiboot2_kernel_receives_the_tags_the_specification_describes()
    {
        string kernel = Write("mb2.elf", MultibootTestKernel.V2Elf());
        string module = Write("module.txt", "hello from the module\n"u8.ToArray());
        var map = new MemoryMap(64UL << 20);
        var (code, stdout, stderr) = Smp("run", "--kernel", kernel, "--memory", "64", "--append", "root=/dev/sda", "--initrd", module, "--max-instructions", "5000000");
        Assert.Equal(string.Empty, stderr);
        Assert.Equal(1, code);
        ulong upper = (map.AcpiBase - MemoryMap.HighMemoryBase) / 1024;
        Assert.Matches(
            $$"""
            ^multiboot2 kernel
            magic is 0x36D76289: yes
            information 8-byte aligned: yes
            tag 1 cmdline=root=/dev/sda
            tag 2 boot_loader_name=smp
            tag 3 module string={{System.Text.RegularExpressions.Regex.Escape(module)}} size=22 page-aligned: yes
            tag 4 mem_lower=639 mem_upper={{upper}}
            tag 6 mmap entry_size=24 entry_version=0 entries={{map.E820.Count}}
            tag 14 RSDP signature=RSD PTR  revision=2
            tag 15 RSDP signature=RSD PTR  revision=2
            tag 0 end; total_size matches: yes
            cr0: pe=1 pg=0: yes
            eflags.if=0: yes
            flat ds reads the reset vector opcode: yes
            a20 on: yes
            $
            """.Replace("\r\n", "\n"), stdout);
    }
}
