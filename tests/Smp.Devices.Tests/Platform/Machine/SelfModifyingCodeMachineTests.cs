using System.Text;
using Iced.Intel;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using Smp.Devices.Platform.Firmware;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Pc.GuestBuilder;
using MachineType = Smp.Devices.Platform.Machine;

namespace Smp.Devices.Tests.Platform.Pc;

/// <summary>
/// Self- and cross-modifying code on the whole machine: the issue's boot sector through the BIOS, and code one
/// CPU patches while another runs it, under the deterministic and the parallel dispatcher.
/// </summary>
public sealed class SelfModifyingCodeMachineTests
{
    [Theory]
    [InlineData(128)]
    [InlineData(65536)]
    public void The_issues_boot_sector_prints_5678_on_com1(int memoryMiB)
    {
        // f: mov al,'5' / ret is called, patched to '6', '7', '8' and called after each patch; every result goes to COM1.
        const ushort f = 0x7D00;
        byte[] image = new byte[512];
        Assemble(16, 0x7C00, a =>
        {
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.call(f);
            a.call(0x7C80);
            for (int i = 1; i <= 3; i++)
            {
                a.mov(__byte_ptr[f + 1], (byte)('5' + i));
                a.call(f);
                a.call(0x7C80);
            }
            a.mov(al, (byte)'\n');
            a.call(0x7C80);
            Exit(a, 0);
        }).CopyTo(image, 0);
        Assemble(16, 0x7C80, a => { a.mov(dx, 0x3F8); a.@out(dx, al); a.ret(); }).CopyTo(image, 0x80);
        Assemble(16, f, a => { a.mov(al, (byte)'5'); a.ret(); }).CopyTo(image, 0x100);
        image[510] = 0x55;
        image[511] = 0xAA;

        var com1 = new StringBuilder();
        using var disk = DiskImageSource.FromBytes(image);
        using var machine = new MachineType(new MachineConfig
        {
            RomImage = BiosRom.Build([]),
            Disk = disk,
            BiosServices = context => BiosServices.ForPlatform(context.Platform, context.Memory, new DiskImage(context.Disk!), context.Screen),
            Console = b => com1.Append((char)b),
            MemoryMiB = memoryMiB,
            MaxInstructions = 20_000_000,
        });
        var result = machine.Run();

        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal("5678\n", com1.ToString());
        // A 64 GiB guest that touched a few pages costs the host those pages, not its RAM size.
        Assert.InRange(GuestMemory.PhysicalMemoryTests.ResidentBytes(machine.Memory), 4096UL, 16UL << 20);
    }

    private const ulong ApCode = 0xB000, Fn = 0xC000, Flag = 0x5100, Ack = 0x5104, Results = 0x5108;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Code_one_cpu_patches_is_run_new_by_the_other_after_it_serializes(bool parallel)
    {
        // The SDM's cross-modification protocol (Vol. 3A §8.1.3): the BSP patches f's immediate and then publishes
        // a flag; the AP waits for the flag, executes CPUID (serializing), calls f and acknowledges.
        using var machine = new MachineType(GuestBuilder.Config(2) with { Parallel = parallel });
        Load(machine, a =>
        {
            BringUp(a, 1);
            for (int digit = '6'; digit <= '8'; digit++)
            {
                WaitFor(a, Ack, digit - 1);
                a.mov(__byte_ptr[Fn + 1], (byte)digit);
                a.mov(__dword_ptr[Flag], digit);
            }
            WaitFor(a, Ack, '8');
            Exit(a, 0);
        });
        LoadAp(machine, a =>
        {
            var wait = a.CreateLabel();
            var idle = a.CreateLabel();
            ApReportsIn(a);
            a.mov(edi, (uint)Results);
            a.call(Fn);
            a.mov(__byte_ptr[edi], al);
            a.inc(edi);
            a.mov(esi, '5');
            a.mov(__dword_ptr[Ack], esi);
            AwaitFlagThenCall(a, ref wait);
            a.mov(__byte_ptr[edi], al);
            a.inc(edi);
            a.mov(__dword_ptr[Ack], esi);
            a.cmp(esi, '8');
            a.jne(wait);
            a.Label(ref idle);
            a.hlt();
            a.jmp(idle);
        });
        machine.Memory.Load(Fn, Assemble(32, Fn, a => { a.mov(al, (byte)'5'); a.ret(); }));
        machine.Memory.Write(Flag, 4, '5');

        var result = machine.Run();

        Assert.Equal(StopReason.DebugExit, result.Reason);
        var bytes = new byte[4];
        machine.Memory.Copy(Results, bytes);
        Assert.Equal("5678", Encoding.ASCII.GetString(bytes));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Hundreds_of_patches_by_one_cpu_are_each_run_by_the_other(bool parallel)
    {
        // The same protocol 300 times: the BSP sets f's immediate to the round number, the AP adds what f returns.
        const int rounds = 300;
        const ulong sum = Results + 0x10;
        using var machine = new MachineType(GuestBuilder.Config(2) with { Parallel = parallel });
        Load(machine, a =>
        {
            var round = a.CreateLabel();
            var spin = a.CreateLabel();
            BringUp(a, 1);
            a.mov(ebx, 1);
            a.Label(ref round);
            a.lea(edx, __[ebx - 1]);
            a.Label(ref spin);
            a.pause();
            a.cmp(__dword_ptr[Ack], edx);
            a.jne(spin);
            a.mov(__dword_ptr[Fn + 1], ebx);
            a.mov(__dword_ptr[Flag], ebx);
            a.inc(ebx);
            a.cmp(ebx, rounds + 1);
            a.jne(round);
            WaitFor(a, Ack, rounds);
            Exit(a, 0);
        });
        LoadAp(machine, a =>
        {
            var wait = a.CreateLabel();
            var idle = a.CreateLabel();
            ApReportsIn(a);
            a.xor(esi, esi);
            a.call(Fn);
            a.mov(edi, eax);
            a.mov(__dword_ptr[Ack], esi);
            AwaitFlagThenCall(a, ref wait);
            a.add(edi, eax);
            a.mov(__dword_ptr[sum], edi);
            a.mov(__dword_ptr[Ack], esi);
            a.cmp(esi, rounds);
            a.jne(wait);
            a.Label(ref idle);
            a.hlt();
            a.jmp(idle);
        });
        machine.Memory.Load(Fn, Assemble(32, Fn, a => { a.mov(eax, 0); a.ret(); }));
        machine.Memory.Write(Ack, 4, 0xFFFF_FFFF);

        var result = machine.Run();

        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal((ulong)(rounds * (rounds + 1) / 2), machine.Memory.Read(sum, 4));
    }

    // The AP's SIPI trampoline enters protected mode and runs `code` at ApCode.
    private static void LoadAp(MachineType machine, Action<Assembler> code)
    {
        machine.Memory.Load(Trampoline, Assemble(16, Trampoline, a => EnterProtectedMode(a, ApCode)));
        machine.Memory.Load(ApCode, Assemble(32, ApCode, code));
    }

    // Flat data segments, a stack, and the arrival count BringUp waits for.
    private static void ApReportsIn(Assembler a)
    {
        a.mov(ax, 0x10);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(esp, 0x40400);
        a.@lock.inc(__dword_ptr[Counter]);
    }

    // AP side of the protocol: wait until Flag differs from ESI (the last value seen), take it into ESI, serialize
    // with CPUID (SDM Vol. 3A §8.1.3: the executing processor serializes before running modified code), call f.
    private static void AwaitFlagThenCall(Assembler a, ref Label wait)
    {
        a.Label(ref wait);
        a.pause();
        a.cmp(__dword_ptr[Flag], esi);
        a.je(wait);
        a.mov(esi, __dword_ptr[Flag]);
        a.xor(eax, eax);
        a.cpuid();
        a.call(Fn);
    }

    private static void WaitFor(Assembler a, ulong address, int value)
    {
        var spin = a.CreateLabel();
        a.Label(ref spin);
        a.pause();
        a.cmp(__dword_ptr[address], value);
        a.jne(spin);
    }
}
