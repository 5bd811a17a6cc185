using System.Diagnostics;
using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using Smp.Devices.Snapshots;
using Smp.Devices.Tests.Cpu;
using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Snapshots;

public class SnapshotTests(ITestOutputHelper output)
{
    private const ulong Data = TestMachine.DataBase;

    private static byte[] RamCopy(PhysicalMemory mem) => mem.Ram.ToArray();

    [Fact]
    public void Restore_puts_back_memory_and_cpu_state_copying_only_the_dirtied_pages()
    {
        using var m = TestMachine.LongMode();
        // Fast-path writes over two data pages (a loop: the first write fills the write TLB, the rest hit it)
        // plus pushes on the stack page.
        m.Load(a =>
        {
            var loop = a.CreateLabel();
            a.mov(rdi, Data);
            a.mov(ecx, 0x400);
            a.Label(ref loop);
            a.mov(__qword_ptr[rdi], rcx);
            a.add(rdi, 8);
            a.dec(ecx);
            a.jnz(loop);
            a.push(rax);
            a.push(rbx);
            a.mov(eax, 0x1234);
            a.hlt();
        });
        m.Run(100_000);   // warm up: page-table accessed/dirty bits, TLB entries for code, data and stack
        m.Cpu.Rip = TestMachine.CodeBase;
        m.Cpu.R[Reg.RSP] = TestMachine.StackTop;
        m.Cpu.State = RunState.Running;

        var before = RamCopy(m.Memory);
        var snapshot = m.Memory.TakeSnapshot();
        var state = m.Cpu.SaveState();
        Assert.Equal(0, m.Memory.DirtyPageCount);

        m.Run(100_000);
        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(0x1234UL, m.Cpu.R[Reg.RAX]);
        m.Memory.Write(Data + 0x10_0000, 8, 0xDEAD_BEEF);             // slow path (a device or loader)
        m.Memory.Load(Data + 0x20_0000, [1, 2, 3]);                     // loader path
        Assert.Equal(0x3FFUL, m.Memory.Read(Data + 8, 8));

        var dirty = new List<ulong>();
        for (ulong pg = 0; pg < m.Memory.RamSize >> 12; pg++) if (m.Memory.IsPageDirty(pg)) dirty.Add(pg);
        // The two data pages written by the loop (fast path after the first fill), the stack page, the two slow writes.
        Assert.Equal([(TestMachine.StackTop >> 12) - 1, Data >> 12, (Data >> 12) + 1, (Data + 0x10_0000) >> 12, (Data + 0x20_0000) >> 12], dirty);

        int copied = m.Memory.Restore(snapshot);
        m.Cpu.RestoreState(state);

        Assert.Equal(5, copied);
        Assert.Equal(5, m.Memory.LastRestorePages);
        Assert.True(before.AsSpan().SequenceEqual(m.Memory.Ram));
        Assert.Equal(state, m.Cpu.SaveState());
        Assert.Equal(RunState.Running, m.Cpu.State);
        Assert.Equal(0, m.Memory.DirtyPageCount);
    }

    [Fact]
    public void A_write_tlb_entry_filled_before_the_snapshot_cannot_hide_a_later_fast_write()
    {
        using var m = TestMachine.LongMode();
        m.Load(a => { a.mov(rdi, Data); a.mov(__qword_ptr[rdi], rdi); a.hlt(); a.mov(__qword_ptr[rdi + 8], rdi); a.hlt(); });
        m.Run(10);                       // first store fills the write TLB for the data page
        var snapshot = m.Memory.TakeSnapshot();
        m.Cpu.State = RunState.Running;
        m.Run(10);                       // second store: would be a fast-path hit without revocation
        Assert.True(m.Memory.IsPageDirty(Data >> 12));
        Assert.Equal(Data, m.Memory.Read(Data + 8, 8));
        m.Memory.Restore(snapshot);
        Assert.Equal(0UL, m.Memory.Read(Data + 8, 8));
        Assert.Equal(Data, m.Memory.Read(Data, 8));
    }

    [Fact]
    public void Self_modified_code_is_restored_and_decoded_again()
    {
        using var m = TestMachine.LongMode();
        var a = new Assembler(64);
        var target = a.CreateLabel();
        var patcher = a.CreateLabel();
        a.Label(ref target);
        a.mov(eax, 1);                   // B8 01 00 00 00: the immediate's low byte is at target + 1
        a.hlt();
        a.Label(ref patcher);
        a.mov(rdi, TestMachine.CodeBase + 1);
        a.mov(__byte_ptr[rdi], 2);
        a.jmp(target);
        var stream = new MemoryStream();
        var result = a.Assemble(new StreamCodeWriter(stream), TestMachine.CodeBase, BlockEncoderOptions.ReturnNewInstructionOffsets);
        m.Memory.Load(TestMachine.CodeBase, stream.ToArray());
        ulong patcherAt = result.GetLabelRIP(patcher);

        m.Run(10);                                      // decode and run the original: EAX = 1
        Assert.Equal(1UL, m.Cpu.R[Reg.RAX]);
        m.Cpu.Rip = TestMachine.CodeBase;
        m.Cpu.State = RunState.Running;
        m.Cpu.R[Reg.RAX] = 0;
        var snapshot = m.Memory.TakeSnapshot();
        var state = m.Cpu.SaveState();

        m.Cpu.Rip = patcherAt;                          // the code patches itself, then runs the patched copy
        m.Run(10);
        Assert.Equal(2UL, m.Cpu.R[Reg.RAX]);
        long decodedBefore = m.Cpu.BlocksDecoded;

        m.Memory.Restore(snapshot);
        m.Cpu.RestoreState(state);
        m.Run(10);                                      // the patched block is stale: decoded again from the restored bytes
        Assert.Equal(1UL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(1UL, m.Memory.Read(TestMachine.CodeBase + 1, 1));
        Assert.True(m.Cpu.BlocksDecoded > decodedBefore);
    }

    private static void LoadMixer(TestMachine m)
    {
        // An LCG scattering stores over 16 pages, with calls (stack traffic) and flag-dependent branches.
        m.Load(a =>
        {
            var loop = a.CreateLabel();
            var sub = a.CreateLabel();
            var skip = a.CreateLabel();
            a.mov(rax, 12345);
            a.mov(ecx, 3000);
            a.Label(ref loop);
            a.call(sub);
            a.mov(rdx, rax);
            a.shr(rdx, 20);
            a.and(edx, 0xFFF8);
            a.mov(rdi, Data);
            a.add(rdi, rdx);
            a.xor(__qword_ptr[rdi], rax);
            a.test(al, 1);
            a.jz(skip);
            a.inc(rbx);
            a.Label(ref skip);
            a.dec(ecx);
            a.jnz(loop);
            a.hlt();
            a.Label(ref sub);
            a.imul(rax, rax, 0x5851F42D);
            a.add(rax, 0x14057B7);
            a.ret();
        });
    }

    [Fact]
    public void Run_restore_run_gives_identical_state_and_memory()
    {
        using var m = TestMachine.LongMode();
        LoadMixer(m);
        var snapshot = m.Memory.TakeSnapshot();
        var start = m.Cpu.SaveState();

        m.Run(5_000);
        m.Cpu.InjectNmi();              // no IDT: the NMI delivery escalates; part of the deterministic run
        m.Run(100_000);
        var end1 = m.Cpu.SaveState();
        var ram1 = RamCopy(m.Memory);
        int dirty1 = m.Memory.DirtyPageCount;

        m.Memory.Restore(snapshot);
        m.Cpu.RestoreState(start);
        Assert.Equal(start, m.Cpu.SaveState());
        m.Run(5_000);
        m.Cpu.InjectNmi();
        m.Run(100_000);

        Assert.Equal(end1, m.Cpu.SaveState());
        Assert.True(ram1.AsSpan().SequenceEqual(m.Memory.Ram));
        Assert.Equal(dirty1, m.Memory.DirtyPageCount);
        Assert.True(dirty1 >= 2);
    }

    [Fact]
    public void Restoring_another_snapshot_copies_every_page_ever_written()
    {
        using var mem = new PhysicalMemory(1 << 20);
        mem.Write(0x1000, 4, 1);
        var a = mem.TakeSnapshot();
        mem.Write(0x2000, 4, 2);
        var b = mem.TakeSnapshot();
        mem.Write(0x3000, 4, 3);
        Assert.Equal(3, mem.Restore(a));               // memory was tracking b: every page ever written (the rest is zero in both)
        Assert.Equal(0UL, mem.Read(0x2000, 4));
        Assert.Equal(1UL, mem.Read(0x1000, 4));
        mem.Write(0x3000, 4, 3);
        Assert.Equal(1, mem.Restore(a));               // now incremental again
        Assert.Equal(0UL, mem.Read(0x3000, 4));
        a.Dispose();
        b.Dispose();
        Assert.Throws<ObjectDisposedException>(() => mem.Restore(a));
    }

    [Fact]
    public void Restore_of_a_128_MiB_machine_with_10_dirty_pages_is_measured()
    {
        using var mem = new PhysicalMemory(128UL << 20);
        var sw = Stopwatch.StartNew();
        using var snapshot = mem.TakeSnapshot();
        double takeMs = sw.Elapsed.TotalMilliseconds;
        const int rounds = 3000;
        var samples = new double[rounds];
        for (int r = -500; r < rounds; r++)   // the first 500 rounds warm up the JIT
        {
            for (ulong i = 0; i < 10; i++) mem.Write(i * 0x31_0000 + 0x100, 8, (ulong)r);
            long t0 = Stopwatch.GetTimestamp();
            int copied = mem.Restore(snapshot);
            long t1 = Stopwatch.GetTimestamp();
            if (r >= 0) samples[r] = (t1 - t0) * 1e6 / Stopwatch.Frequency;
            Assert.Equal(10, copied);
        }
        Array.Sort(samples);
        var empty = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            mem.Restore(snapshot);
            empty[r] = (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency;
        }
        Array.Sort(empty);
        output.WriteLine($"128 MiB: Restore with no dirty page: median {empty[rounds / 2]:F2} us");
        output.WriteLine($"128 MiB: TakeSnapshot {takeMs:F1} ms; Restore with 10 dirty pages: median {samples[rounds / 2]:F2} us, p90 {samples[rounds * 9 / 10]:F2} us");
        Assert.Equal(0UL, mem.Read(0x100, 8));
    }
}
