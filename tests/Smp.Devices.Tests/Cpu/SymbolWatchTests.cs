using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu;

public class SymbolWatchTests
{
    private sealed class Recorder : CpuObserver
    {
        public readonly List<string> Log = [];
        public readonly Dictionary<ulong, string> Names = [];
        public override void FunctionEntered(CpuCore cpu, ulong address, ulong rsp) => Log.Add("enter " + Names[address]);
        public override void FunctionReturned(CpuCore cpu, ulong address) => Log.Add("return " + Names[address]);
    }

    [Fact]
    public void Watched_functions_report_entry_and_return_in_call_order_and_loops_to_the_entry_are_not_calls()
    {
        using var m = TestMachine.LongMode();
        ulong fAddr = TestMachine.CodeBase + 0x100, gAddr = TestMachine.CodeBase + 0x200, idleAddr = TestMachine.CodeBase + 0x300;
        m.Load(TestMachine.CodeBase, a =>
        {
            a.call(fAddr);
            a.call(idleAddr);
        });
        m.Load(fAddr, a =>
        {
            a.push(rbp); a.mov(rbp, rsp);
            a.nop();
            a.call(gAddr);
            a.leave(); a.ret();
        });
        m.Load(gAddr, a =>
        {
            a.push(rbp); a.mov(rbp, rsp);
            a.mov(rax, 42);
            a.leave(); a.ret();
        });
        m.Load(idleAddr, a =>
        {
            var idle = a.CreateLabel();    // an idle loop jumping back to its own entry
            a.Label(ref idle);
            a.inc(rcx);
            a.cmp(rcx, 3);
            a.jne(idle);
            a.hlt();
        });
        var rec = new Recorder { Names = { [fAddr] = "f", [gAddr] = "g", [idleAddr] = "idle" } };
        m.Cpu.Observer = rec;
        m.Cpu.Watch = new SymbolWatch([fAddr, gAddr, idleAddr]);
        m.Run();
        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(["enter f", "enter g", "return g", "return f", "enter idle"], rec.Log);
        Assert.Single(m.Cpu.OpenFunctions);
    }

    [Fact]
    public void A_jump_into_the_next_never_returning_function_ends_the_previous_one()
    {
        using var m = TestMachine.LongMode();
        ulong a1 = TestMachine.CodeBase + 0x100, a2 = TestMachine.CodeBase + 0x200;
        m.Load(TestMachine.CodeBase, a => a.jmp(a1));
        m.Load(a1, a => { a.mov(rsp, (long)TestMachine.StackTop - 0x100); a.jmp(a2); });   // a stack switch is not a return
        m.Load(a2, a => a.hlt());
        var rec = new Recorder { Names = { [a1] = "startup", [a2] = "start_secondary" } };
        m.Cpu.Observer = rec;
        m.Cpu.Watch = new SymbolWatch([a1, a2]);
        m.Run();
        Assert.Equal(["enter startup", "return startup", "enter start_secondary"], rec.Log);
    }
}
