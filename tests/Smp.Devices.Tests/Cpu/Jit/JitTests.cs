using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Jit;

/// <summary>
/// Hand-written cases for the translator's exact points: TLB misses and page faults inside translated code, the stack's
/// #SS, a callee that changes its return address, clock and port reads (which see the retired count), and sharing one
/// translation between CPUs. Each runs translated and interpreted and compares the whole machine.
/// </summary>
public class JitTests
{
    internal const ulong IdtBase = 0x6_0000, Record = TestMachine.DataBase + 0x8000;

    private sealed class ClockPorts(CpuCore cpu) : IPortBus
    {
        public readonly List<(ushort Port, long Time, uint Value)> Accesses = [];

        public uint In(ushort port, int size)
        {
            Accesses.Add((port, cpu.SimulatedNanoseconds, 0));
            return (uint)(cpu.SimulatedNanoseconds * 7);
        }

        public void Out(ushort port, int size, uint value) => Accesses.Add((port, cpu.SimulatedNanoseconds, value));
    }

    private static (TestMachine Machine, ClockPorts Ports) Build(bool jit, Action<TestMachine> prepare, Action<Assembler> program)
    {
        var m = TestMachine.LongMode(16 << 20);
        m.Cpu.CompileHotBlocks = jit;
        m.Cpu.JitThreshold = 4;
        m.Cpu.JitWaits = true;
        var ports = new ClockPorts(m.Cpu);
        m.Cpu.Ports = ports;
        prepare(m);
        m.Load(program);
        return (m, ports);
    }

    // Runs the program both ways in the same quanta and compares everything; returns the translated machine's retired count in translated code.
    internal static long Compare(Action<TestMachine> prepare, Action<Assembler> program, long budget = 2_000_000, int quantum = 977,
        Action<TestMachine>? verify = null)
    {
        var (reference, refPorts) = Build(false, prepare, program);
        var (jit, jitPorts) = Build(true, prepare, program);
        using (reference)
        using (jit)
        {
            for (long done = 0; done < budget && (reference.Cpu.State == RunState.Running || jit.Cpu.State == RunState.Running); done += quantum)
            {
                Assert.Equal(reference.Run(quantum), jit.Run(quantum));
                JitDifferentialTests.AssertSameState(reference.Cpu, jit.Cpu, $"after {done + quantum}");
            }
            Assert.Equal(reference.Cpu.Cr2, jit.Cpu.Cr2);
            Assert.True(reference.Memory.Ram.SequenceEqual(jit.Memory.Ram), "memory differs");
            Assert.Equal(refPorts.Accesses, jitPorts.Accesses);
            Assert.True(jit.Cpu.InstructionsTranslated > 0, "nothing ran translated");
            verify?.Invoke(jit);
            return jit.Cpu.InstructionsTranslated;
        }
    }

    // Every vector: record CR2 at Record, the error code at Record + 8 and the faulting RIP at Record + 16, then halt.
    internal static void FaultRecorder(TestMachine m)
    {
        ulong handler = TestMachine.CodeBase + 0x4000;
        m.Load(handler, a =>
        {
            a.mov(rax, cr2);
            a.mov(rbx, (long)Record);
            a.mov(__qword_ptr[rbx], rax);
            a.pop(rax);                               // error code (the vectors used here push one)
            a.mov(__qword_ptr[rbx + 8], rax);
            a.pop(rax);                               // RIP
            a.mov(__qword_ptr[rbx + 16], rax);
            a.hlt();
        });
        PointVectorsAt(m, handler);
    }

    // An interrupt gate to `handler` (CS 0x10) for each of the 32 exception vectors.
    private static void PointVectorsAt(TestMachine m, ulong handler)
    {
        for (ulong v = 0; v < 32; v++)
        {
            m.Memory.Write(IdtBase + v * 16, 8, (handler & 0xFFFF) | (0x10UL << 16) | (0x8EUL << 40) | ((handler >> 16 & 0xFFFF) << 48));
            m.Memory.Write(IdtBase + v * 16 + 8, 8, handler >> 32);
        }
        m.Cpu.Idtr = new DescriptorTableRegister { Base = IdtBase, Limit = 32 * 16 - 1 };
    }

    [Fact]
    public void Loads_and_stores_that_miss_the_tlb_in_translated_code_set_accessed_and_dirty_bits_as_the_interpreter()
    {
        Compare(m => m.SplitLargePage(TestMachine.DataBase), a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 200);
            a.mov(rsi, (long)TestMachine.DataBase);
            a.Label(ref top);
            a.mov(rax, __qword_ptr[rsi + 0x1008]);       // read-only pages: accessed, never dirty
            a.add(rax, __dword_ptr[rsi + 0x2010]);
            a.mov(__qword_ptr[rsi + rcx * 8 + 0x5000], rax);  // written pages: dirty
            a.inc(__word_ptr[rsi + 0x6002]);
            a.mov(rdx, cr3);
            a.mov(cr3, rdx);                             // every pass starts with an empty TLB
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        });
    }

    [Fact]
    public void A_page_fault_in_translated_code_is_delivered_at_its_instruction_with_everything_before_it_retired()
    {
        Compare(m =>
        {
            m.SplitLargePage(TestMachine.DataBase);
            m.SetPagePresent(TestMachine.DataBase + 40 * 0x1000, false);
            FaultRecorder(m);
        }, a =>
        {
            var top = a.CreateLabel();
            a.mov(rdi, (long)TestMachine.DataBase);
            a.xor(ebx, ebx);
            a.Label(ref top);
            a.add(rbx, 3);
            a.mov(rax, __qword_ptr[rdi]);              // faults when RDI reaches the missing page
            a.mov(__qword_ptr[rdi + 8], rbx);
            a.add(rdi, 0x1000);
            a.cmp(rbx, 10_000);
            a.jb(top);
            a.hlt();
        });
    }

    [Fact]
    public void A_store_that_faults_in_translated_code_delivers_the_registers_and_flags_its_instruction_saw()
    {
        // The fault is raised after the slow path reported it: the registers written since entry and the pending flags
        // (a SUB whose result the store writes) must reach the handler, the stack frame and the final state exactly.
        Compare(m =>
        {
            m.SplitLargePage(TestMachine.DataBase);
            m.SetPagePresent(TestMachine.DataBase + 30 * 0x1000, false);
            FaultRecorder(m);
        }, a =>
        {
            var top = a.CreateLabel();
            a.mov(rdi, (long)TestMachine.DataBase);
            a.mov(rdx, 1_000_000);
            a.xor(r9d, r9d);
            a.Label(ref top);
            a.add(r9, 5);
            a.sub(rdx, 7);
            a.mov(__qword_ptr[rdi + 16], rdx);         // faults when RDI reaches the missing page
            a.add(rdi, 0x1000);
            a.cmp(r9, 100_000);
            a.jb(top);
            a.hlt();
        }, verify: m => Assert.Equal(TestMachine.DataBase + 30 * 0x1000 + 16, m.Memory.Read(Record, 8)));
    }

    [Fact]
    public void A_non_canonical_stack_in_translated_code_raises_stack_fault_at_the_push()
    {
        Compare(FaultRecorder, a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 100);
            a.mov(r8, unchecked((long)0x8000_0000_0000_1000UL));
            a.mov(r9, rsp);
            a.Label(ref top);
            a.cmp(ecx, 7);
            a.cmove(rsp, r8);                          // on the 7th pass from the end the stack pointer goes bad
            a.push(rcx);
            a.pop(rdx);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        });
    }

    [Fact]
    public void A_callee_that_changes_its_return_address_returns_where_it_says()
    {
        Compare(_ => { }, a =>
        {
            var top = a.CreateLabel();
            var f = a.CreateLabel();
            var g = a.CreateLabel();
            a.mov(ecx, 300);
            a.xor(ebx, ebx);
            a.Label(ref top);
            a.call(f);
            a.add(ebx, 1000);                          // skipped on odd passes: f returns past it (6 bytes)
            a.call(g);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
            a.Label(ref f);
            a.inc(ebx);
            a.test(cl, 1);
            var even = a.CreateLabel();
            a.jz(even);
            a.add(__qword_ptr[rsp], 6);
            a.Label(ref even);
            a.ret();
            a.Label(ref g);
            a.add(ebx, 2);
            a.ret();
        });
    }

    [Fact]
    public void Clock_and_port_reads_in_translated_code_see_the_interpreters_retired_counts()
    {
        long translated = Compare(_ => { }, a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 500);
            a.mov(rsi, (long)TestMachine.DataBase);
            a.Label(ref top);
            a.add(rbx, rcx);
            a.rdtsc();
            a.mov(__dword_ptr[rsi + rcx * 8], eax);
            a.@in(al, 0x61);
            a.mov(__byte_ptr[rsi + rcx * 8 + 4], al);
            a.@out(0x80, al);
            a.imul(rbx, rbx, 3);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        });
        Assert.True(translated > 2000);
    }

    // Every vector (no error code is expected): count it in Record+0x20, keep DR6 in Record+0x28 and return with RF set.
    private static void CountingHandler(TestMachine m)
    {
        ulong handler = TestMachine.CodeBase + 0x4000;
        m.Load(handler, a =>
        {
            a.push(rax);
            a.push(rdx);
            a.mov(rax, (long)Record);
            a.inc(__qword_ptr[rax + 0x20]);
            a.mov(rdx, dr6);
            a.mov(__qword_ptr[rax + 0x28], rdx);       // the last DR6
            a.pop(rdx);
            a.pop(rax);
            a.bts(__qword_ptr[rsp + 16], 16);
            a.iretq();
        });
        PointVectorsAt(m, handler);
    }

    [Fact]
    public void Single_step_and_data_breakpoints_armed_in_a_translated_loop_trap_at_the_interpreters_instructions()
    {
        Compare(CountingHandler, a =>
        {
            var hot = a.CreateLabel();
            var stepped = a.CreateLabel();
            var watched = a.CreateLabel();
            a.mov(rsi, (long)TestMachine.DataBase);
            a.mov(ecx, 400);
            a.Label(ref hot);                          // translated after a few passes
            a.add(rbx, rcx);
            a.mov(__qword_ptr[rsi + rcx * 8], rbx);
            a.dec(ecx);
            a.jnz(hot);
            a.pushfq();
            a.or(__qword_ptr[rsp], 0x100);             // TF: a #DB after every instruction from here
            a.popfq();
            a.mov(ecx, 30);
            a.Label(ref stepped);
            a.add(rbx, rcx);
            a.dec(ecx);
            a.jnz(stepped);
            a.pushfq();
            a.and(__qword_ptr[rsp], ~0x100);
            a.popfq();
            a.lea(rax, __[rsi + 0x808]);
            a.mov(dr0, rax);
            a.mov(eax, 0xD0001);                       // DR0: write, 8 bytes, enabled
            a.mov(dr7, rax);
            a.mov(ecx, 400);
            a.Label(ref watched);                      // the same loop shape, now storing over DR0 once
            a.add(rbx, rcx);
            a.mov(__qword_ptr[rsi + rcx * 8], rbx);
            a.dec(ecx);
            a.jnz(watched);
            a.hlt();
        }, verify: m =>
        {
            // One #DB per stepped instruction (3 × 30 in the loop, and those around it), then the data breakpoint's.
            Assert.InRange((long)m.Memory.Read(Record + 0x20, 8), 95, 110);
            Assert.Equal(1UL, m.Memory.Read(Record + 0x28, 8) & 0xF);   // the last #DB was DR0's (B0)
            Assert.Equal(RunState.Halted, m.Cpu.State);
        });
    }

    [Fact]
    public void Cpus_running_the_same_code_share_one_translation()
    {
        using var m = TestMachine.LongMode(16 << 20);
        var second = new CpuCore(m.Memory, apicId: 1, isBsp: false) { JitThreshold = 4, JitWaits = true };
        m.Cpu.JitThreshold = 4;
        m.Load(a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 1000);
            a.Label(ref top);
            a.add(rax, rcx);
            a.xor(rbx, rax);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        });
        ulong loop = TestMachine.CodeBase + 5;
        m.Run();
        // The second CPU starts like the first (same mode, same page tables).
        second.RestoreState(m.Cpu.SaveState() with { ApicId = 1, Rip = TestMachine.CodeBase, Gprs = new ulong[16], RunState = RunState.Running });
        second.R[Reg.RSP] = TestMachine.StackTop;
        second.Run(1_000_000);

        Assert.Equal(RunState.Halted, second.State);
        Assert.Equal(m.Cpu.R[Reg.RBX], second.R[Reg.RBX]);
        Assert.NotNull(m.Cpu.TranslationAt(loop));
        Assert.Same(m.Cpu.TranslationAt(loop), second.TranslationAt(loop));
    }
}
