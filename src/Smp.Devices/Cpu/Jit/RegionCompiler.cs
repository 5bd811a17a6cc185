using System.Reflection;
using System.Reflection.Emit;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Jit;

/// <summary>
/// Translates a <see cref="Region"/> into one <see cref="DynamicMethod"/> (the .NET JIT then makes machine code of it).
/// Operands, operand sizes, memory forms, instruction addresses and branch conditions are constants of the method;
/// the guest registers the region uses live in IL locals from entry to exit; the lazy flags of the last flag-setting
/// instruction live in locals too, and a conditional branch or SETcc/CMOVcc that reads them is compiled to the compare
/// itself (a <c>cmp</c>/<c>jb</c> pair becomes one unsigned compare). Memory accesses inline the software TLB's hit
/// path. Everything else (instructions the translator does not specialise, TLB misses, faults) calls the interpreter's
/// own code after writing the state back, so new instruction handlers work unchanged.
/// </summary>
/// <remarks>
/// Exactness, in the interpreter's terms: before a handler is called or a fault raised, the registers the region
/// writes, the lazy flags, RIP, <see cref="CpuCore.InstructionsRetired"/> (as at the start of the decoded block, which
/// is what the interpreter shows a handler) and the instruction's position in its block are stored, so the loop's fault
/// path counts exactly the retired instructions; a TLB miss stores the same before the slow path, which may fault. The
/// register stores of exits and of raised faults are emitted once per region, in shared tails. Each block checks the
/// budget before it starts (a block that does not fit leaves for the interpreter, which runs part of it). After a
/// handler or a memory slow path the exit flag is tested, so a store into code or a device that wants attention ends
/// the region after that instruction, as it ends an interpreted block. Loops test memory's code epoch on their back
/// edges, so a change made by another CPU is seen at the next iteration as at the interpreter's next block boundary.
/// The fetch that reaches the entry vouches for the entry's page; the region's other code pages are checked quietly
/// whenever the CPU's fetch path changed (<see cref="CpuCore"/>'s RegionUsable, with every block's code stamp).
/// </remarks>
internal sealed partial class RegionCompiler
{
    private const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;
    private const BindingFlags Public = BindingFlags.Instance | BindingFlags.Public;

    private static readonly FieldInfo RegistersField = typeof(CpuCore).GetField(nameof(CpuCore.R), Public)!;
    private static readonly FieldInfo RipField = typeof(CpuCore).GetField(nameof(CpuCore.Rip), Public)!;
    private static readonly FieldInfo NextRipField = typeof(CpuCore).GetField(nameof(CpuCore.NextRip), Public)!;
    private static readonly FieldInfo RetiredField = typeof(CpuCore).GetField(nameof(CpuCore.InstructionsRetired), Public)!;
    private static readonly FieldInfo AttentionField = typeof(CpuCore).GetField("_attention", Private)!;
    private static readonly FieldInfo FaultPositionField = typeof(CpuCore).GetField("_faultPosition", Private)!;
    private static readonly FieldInfo EntryEpochField = typeof(CpuCore).GetField("_jitEntryEpoch", Private)!;
    private static readonly FieldInfo LastTransferField = typeof(CpuCore).GetField("_lastTransfer", Private)!;
    private static readonly MethodInfo MemoryGetter = typeof(CpuCore).GetProperty(nameof(CpuCore.Memory))!.GetMethod!;
    private static readonly FieldInfo CodeEpochField = typeof(Memory.PhysicalMemory).GetField("_codeEpoch", Private)!;
    private static readonly MethodInfo RaiseFaultMethod = typeof(CpuCore).GetMethod(nameof(CpuCore.RaiseFault))!;
    private static readonly FieldInfo UopsField = typeof(RegionClosure).GetField(nameof(RegionClosure.Uops))!;

    private readonly Region _region;
    private readonly DynamicMethod _method;
    private readonly ILGenerator _il;
    private readonly LocalBuilder?[] _g = new LocalBuilder?[16];
    private readonly bool[] _written = new bool[16];
    private readonly List<Action> _cold = [];
    private readonly LocalBuilder _left, _irEntry;
    private readonly Label[] _nodeLabels;

    // The instruction being translated.
    private RegionNode _node = null!;
    private int _position;      // in its decoded block
    private ulong _ip, _nextIp; // its RIP and the next instruction's
    private bool _touchedMemory; // it made an access whose slow path may set the exit flag

    private RegionCompiler(Region region)
    {
        _region = region;
        _method = new DynamicMethod($"region_{region.Rip:x}_{region.Bitness}", typeof(long),
            [typeof(RegionClosure), typeof(CpuCore), typeof(long), typeof(int)], typeof(CpuCore), skipVisibility: true);
        _il = _method.GetILGenerator(4096 + region.Uops.Length * 256);
        _left = _il.DeclareLocal(typeof(long));
        _irEntry = _il.DeclareLocal(typeof(long));
        _nodeLabels = new Label[region.Nodes.Count];
        for (int i = 0; i < _nodeLabels.Length; i++) _nodeLabels[i] = _il.DefineLabel();
        DeclareFlagLocals();
    }

    /// <summary>Compiles <paramref name="region"/>; the result is not yet JIT-compiled by .NET (its first call does that).</summary>
    /// <returns>The method and the size of its IL.</returns>
    public static (RegionCode Code, int IlBytes) Compile(Region region) => new RegionCompiler(region).Emit();

    private (RegionCode, int) Emit()
    {
        // A negative budget returns at once (the warm-up call that makes .NET compile the method).
        var prologue = _il.DefineLabel();
        var start = _il.DefineLabel();
        _il.Emit(OpCodes.Ldarg_2);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Conv_I8);
        _il.Emit(OpCodes.Bge, start);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Conv_I8);
        _il.Emit(OpCodes.Ret);
        _il.MarkLabel(start);
        _il.Emit(OpCodes.Br, prologue);

        foreach (var node in _region.Nodes) EmitNode(node);

        // Code that depends on the final sets of used and written registers comes last: slow paths, handler calls,
        // exits (write-backs) and the prologue (loads).
        for (int i = 0; i < _cold.Count; i++) _cold[i]();
        EmitExitTails();
        EmitFaultTail();
        _il.MarkLabel(prologue);
        for (int r = 0; r < 16; r++)
        {
            if (_g[r] is not { } g) continue;
            LoadCoreRegister(r);
            _il.Emit(OpCodes.Stloc, g);
        }
        LoadCanonicalFlags();
        _il.Emit(OpCodes.Ldarg_2);
        _il.Emit(OpCodes.Stloc, _left);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, RetiredField);
        _il.Emit(OpCodes.Stloc, _irEntry);
        // The entry node: the head, or another node the interpreter reached from outside (RegionNode.Enterable).
        if (_region.HasOtherEntries)
        {
            _il.Emit(OpCodes.Ldarg_3);
            _il.Emit(OpCodes.Switch, _region.Nodes.Select(n => n.Enterable ? _nodeLabels[n.Index] : _nodeLabels[0]).ToArray());
        }
        _il.Emit(OpCodes.Br, _nodeLabels[0]);

        var closure = new RegionClosure(_region.Uops);
        return ((RegionCode)_method.CreateDelegate(typeof(RegionCode), closure), _il.ILOffset);
    }

    // ---- nodes ---------------------------------------------------------------------------------

    private void EmitNode(RegionNode node)
    {
        _node = node;
        _il.MarkLabel(_nodeLabels[node.Index]);
        _flags = FlagState.Dynamic;

        // The whole block must fit in the budget; otherwise leave before it (the interpreter runs part of it).
        var enter = _il.DefineLabel();
        _il.Emit(OpCodes.Ldloc, _left);
        Ldc(node.Count);
        _il.Emit(OpCodes.Bge, enter);
        EmitExit(node.Rip, 0, Decoding.Transfer.None);
        _il.MarkLabel(enter);
        _il.Emit(OpCodes.Ldloc, _left);
        Ldc(node.Count);
        _il.Emit(OpCodes.Sub);
        _il.Emit(OpCodes.Stloc, _left);

        ulong ip = node.Rip, mask = _region.IpMask;
        for (int k = 0; k < node.Count; k++)
        {
            ref Uop u = ref _region.Uops[node.UopBase + k];
            _position = k;
            _hotTempNext = 0;
            _ip = ip;
            _nextIp = (ip + u.Length) & mask;
            _touchedMemory = false;
            bool last = k == node.Count - 1;
            if (!(last ? TryEmitTerminator(ref u) : TryEmitInstruction(ref u)))
                EmitHandlerCall(ref u, last);
            else if (_touchedMemory && !last) EmitAttentionCheck();
            ip = _nextIp;
        }
    }

    // After an instruction whose slow path may have asked for attention (a store into code, a device): leave after it.
    private void EmitAttentionCheck()
    {
        var exit = _il.DefineLabel();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, AttentionField);
        _il.Emit(OpCodes.Brtrue, exit);
        var flags = _flags;
        ulong next = _nextIp;
        int retired = RetiredAfterThis;
        Cold(() =>
        {
            _il.MarkLabel(exit);
            EmitExitTo(next, retired, Decoding.Transfer.None, flags);
        });
    }

    // Instructions retired, relative to (budget − left), once the current instruction completes.
    private int RetiredAfterThis => _position + 1 - _node.Count;

    // ---- registers ---------------------------------------------------------------------------------

    private LocalBuilder Reg64(int r)
    {
        return _g[r] ??= _il.DeclareLocal(typeof(ulong));
    }

    /// <summary>Pushes register <paramref name="r"/> (core numbering: AH–BH are 20–23) at <paramref name="size"/>, zero-extended.</summary>
    private void LoadReg(int r, int size)
    {
        if (r >= Reg.AH)
        {
            _il.Emit(OpCodes.Ldloc, Reg64(r - Reg.AH));
            _il.Emit(OpCodes.Ldc_I4_8);
            _il.Emit(OpCodes.Shr_Un);
            _il.Emit(OpCodes.Conv_U1);
            _il.Emit(OpCodes.Conv_U8);
            return;
        }
        _il.Emit(OpCodes.Ldloc, Reg64(r));
        Truncate(size);
    }

    /// <summary>Writes <paramref name="value"/> to register <paramref name="r"/> at <paramref name="size"/>: 8/16 merge, 32 zero-extends (SDM Vol. 1 §3.4.1.1).</summary>
    private void StoreReg(int r, int size, LocalBuilder value)
    {
        int full = r >= Reg.AH ? r - Reg.AH : r;
        var g = Reg64(full);
        _written[full] = true;
        if (size == 3)
        {
            _il.Emit(OpCodes.Ldloc, value);
            _il.Emit(OpCodes.Stloc, g);
            return;
        }
        if (size == 2)
        {
            _il.Emit(OpCodes.Ldloc, value);
            _il.Emit(OpCodes.Conv_U4);
            _il.Emit(OpCodes.Conv_U8);
            _il.Emit(OpCodes.Stloc, g);
            return;
        }
        ulong mask = size == 1 ? 0xFFFFUL : 0xFFUL;
        int shift = r >= Reg.AH ? 8 : 0;
        _il.Emit(OpCodes.Ldloc, g);
        Ldc(~(mask << shift));
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Ldloc, value);
        Ldc(mask);
        _il.Emit(OpCodes.And);
        if (shift != 0)
        {
            _il.Emit(OpCodes.Ldc_I4, shift);
            _il.Emit(OpCodes.Shl);
        }
        _il.Emit(OpCodes.Or);
        _il.Emit(OpCodes.Stloc, g);
    }

    private void LoadCoreRegister(int r)
    {
        CoreRegisterAddress(r);
        _il.Emit(OpCodes.Ldind_I8);
    }

    private void CoreRegisterAddress(int r)
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldflda, RegistersField);
        if (r != 0)
        {
            _il.Emit(OpCodes.Ldc_I4, r * 8);
            _il.Emit(OpCodes.Add);
        }
    }

    // Stores every register the region writes (a superset of those changed so far: the others hold the core's values).
    // Inline, also on paths that seldom run: one call storing them all made IL 14% smaller but the hot code of a loop
    // 5-8% slower (smp bench cpu, p01), the .NET JIT allocating registers around the call's seventeen arguments.
    private void WriteBackRegisters()
    {
        for (int r = 0; r < 16; r++)
        {
            if (!_written[r]) continue;
            CoreRegisterAddress(r);
            _il.Emit(OpCodes.Ldloc, _g[r]!);
            _il.Emit(OpCodes.Stind_I8);
        }
    }

    private void ReloadRegisters()
    {
        for (int r = 0; r < 16; r++)
        {
            if (_g[r] is not { } g) continue;
            LoadCoreRegister(r);
            _il.Emit(OpCodes.Stloc, g);
        }
    }

    // ---- state sync, calls into the core, exits ---------------------------------------------------------

    /// <summary>
    /// Makes the core's state exactly the interpreter's before the current instruction: registers, lazy flags, RIP
    /// (and NextRip), retired instructions as at the start of the block, and the instruction's position for the
    /// fault path. Call only from cold code (it depends on the final register sets).
    /// </summary>
    private void EmitSync(SyncPoint at, FlagState flags, bool nextRip)
    {
        WriteBackRegisters();
        FlushFlags(flags);
        EmitSyncPoint(at, nextRip);
    }

    /// <summary>RIP (and NextRip), the retired instructions and the fault position of <paramref name="at"/>.</summary>
    private void EmitSyncPoint(SyncPoint at, bool nextRip)
    {
        _il.Emit(OpCodes.Ldarg_1);
        Ldc(at.Ip);
        _il.Emit(OpCodes.Stfld, RipField);
        if (nextRip)
        {
            _il.Emit(OpCodes.Ldarg_1);
            Ldc(at.NextIp);
            _il.Emit(OpCodes.Stfld, NextRipField);
        }
        _il.Emit(OpCodes.Ldarg_1);
        EmitRetired(-at.Count);
        _il.Emit(OpCodes.Ldloc, _irEntry);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stfld, RetiredField);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, at.Position);
        _il.Emit(OpCodes.Stfld, FaultPositionField);
    }

    /// <summary>
    /// Raises #<paramref name="vector"/>(0) at <paramref name="at"/> once the state is exact; the registers are stored in
    /// the region's one fault tail (as the exits' are in theirs: stored at every site they made most of a region's IL).
    /// </summary>
    private void EmitFaultExit(SyncPoint at, FlagState flags, int vector)
    {
        FlushFlags(flags);
        EmitSyncPoint(at, nextRip: true);
        _il.Emit(OpCodes.Ldc_I4, vector);
        _il.Emit(OpCodes.Stloc, _faultVector ??= _il.DeclareLocal(typeof(int)));
        _il.Emit(OpCodes.Br, _faultTail ??= _il.DefineLabel());
    }

    private LocalBuilder? _faultVector;
    private Label? _faultTail;

    private void EmitFaultTail()
    {
        if (_faultTail is not { } tail) return;
        _il.MarkLabel(tail);
        WriteBackRegisters();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, _faultVector!);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Call, RaiseFaultMethod);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Conv_I8);
        _il.Emit(OpCodes.Ret);
    }

    /// <summary>The current instruction as a point where the core's state must be exact.</summary>
    private SyncPoint Here => new(_ip, _nextIp, _position, _node.Count);

    private readonly record struct SyncPoint(ulong Ip, ulong NextIp, int Position, int Count);

    /// <summary>Pushes the instructions retired so far in this call: budget − left + <paramref name="adjust"/>.</summary>
    private void EmitRetired(int adjust)
    {
        _il.Emit(OpCodes.Ldarg_2);
        _il.Emit(OpCodes.Ldloc, _left);
        _il.Emit(OpCodes.Sub);
        if (adjust != 0)
        {
            Ldc(adjust);
            _il.Emit(OpCodes.Add);
        }
    }

    /// <summary>Leaves the region for <paramref name="rip"/> with the current flags (see the other overload).</summary>
    private void EmitExit(ulong rip, int retired, Decoding.Transfer transfer) => EmitExitTo(rip, retired, transfer, _flags);

    /// <summary>
    /// Leaves the region for <paramref name="rip"/> with <paramref name="retired"/> (relative to budget − left) more
    /// instructions retired. In hot code this emits a branch to a cold stub (the write-back needs the final register sets).
    /// </summary>
    private void EmitExitTo(ulong rip, int retired, Decoding.Transfer transfer, FlagState flags)
    {
        if (!_deferring)
        {
            var stub = _il.DefineLabel();
            _il.Emit(OpCodes.Br, stub);
            Cold(() =>
            {
                _il.MarkLabel(stub);
                EmitExitTo(rip, retired, transfer, flags);
            });
            return;
        }
        FlushFlags(flags);
        _il.Emit(OpCodes.Ldarg_1);
        Ldc(rip);
        _il.Emit(OpCodes.Stfld, RipField);
        EmitWriteBackAndReturn(retired, transfer);
    }

    /// <summary>Leaves with RIP from a local (a return, an indirect target).</summary>
    private void EmitExitToLocal(LocalBuilder rip, int retired, Decoding.Transfer transfer, FlagState flags)
    {
        FlushFlags(flags);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, rip);
        _il.Emit(OpCodes.Stfld, RipField);
        EmitWriteBackAndReturn(retired, transfer);
    }

    // Exits share one tail that stores the registers and one that returns: written back at every exit, the registers
    // made most of a region's IL (and the .NET JIT's time) for code that seldom runs.
    private void EmitWriteBackAndReturn(int retired, Decoding.Transfer transfer) =>
        EmitReturn(retired, transfer, _writeBackTail ??= _il.DefineLabel());

    // The two tails: registers stored (exits that still hold them in locals), then the retired count, the transfer kind
    // and the return (every exit).
    private void EmitExitTails()
    {
        if (_writeBackTail is { } writeBack)
        {
            _il.MarkLabel(writeBack);
            WriteBackRegisters();
        }

        if (_returnTail is not { } ret) return;
        _il.MarkLabel(ret);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, _irEntry);
        _il.Emit(OpCodes.Ldloc, _exitRetired!);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stfld, RetiredField);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, _exitTransfer!);
        _il.Emit(OpCodes.Stfld, LastTransferField);
        _il.Emit(OpCodes.Ldloc, _exitRetired!);
        _il.Emit(OpCodes.Ret);
    }

    /// <summary>Leaves after a handler: the core holds the state; RIP ← NextRip.</summary>
    private void EmitCleanExit(int retired, Decoding.Transfer transfer)
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, NextRipField);
        _il.Emit(OpCodes.Stfld, RipField);
        EmitReturn(retired, transfer);
    }

    // Sets what the return tail stores and goes there (through the register stores when `tail` is that tail).
    private void EmitReturn(int retired, Decoding.Transfer transfer, Label? tail = null)
    {
        EmitRetired(retired);
        _il.Emit(OpCodes.Stloc, _exitRetired ??= _il.DeclareLocal(typeof(long)));
        _il.Emit(OpCodes.Ldc_I4, (int)transfer);
        _il.Emit(OpCodes.Stloc, _exitTransfer ??= _il.DeclareLocal(typeof(int)));
        var ret = _returnTail ??= _il.DefineLabel();
        _il.Emit(OpCodes.Br, tail ?? ret);
    }

    private bool _deferring;
    private LocalBuilder? _exitRetired, _exitTransfer;
    private Label? _writeBackTail, _returnTail;

    /// <summary>Queues code to emit after the hot code (it may use the final register sets).</summary>
    private void Cold(Action emit) => _cold.Add(() =>
    {
        var saved = (_node, _position, _ip, _nextIp, _flags);
        _deferring = true;
        _coldTempNext = 0;
        emit();
        _deferring = false;
        (_node, _position, _ip, _nextIp, _flags) = saved;
    });

    // ---- edges ---------------------------------------------------------------------------------------

    /// <summary>Continues at <paramref name="target"/> (a node) or leaves the region for <paramref name="rip"/>.</summary>
    private void EmitEdge(RegionNode? target, ulong rip, Decoding.Transfer transfer)
    {
        if (target is null)
        {
            EmitExit(rip, 0, transfer);
            return;
        }
        Canonicalize(_flags);
        if (target.Index <= _node.Index)
        {
            // A back edge: code changed anywhere (another CPU's store, parallel mode) is seen here, as at the
            // interpreter's next block boundary.
            var go = EmitCodeEpochCheck();
            var saved = _flags;
            _flags = FlagState.Dynamic;
            EmitExit(target.Rip, 0, transfer);
            _flags = saved;
            _il.MarkLabel(go);
        }
        _il.Emit(OpCodes.Br, _nodeLabels[target.Index]);
    }

    // Branches to the returned label (mark it after the exit code that follows) while memory's code epoch is the one
    // the translation was entered at.
    private Label EmitCodeEpochCheck()
    {
        var go = _il.DefineLabel();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Call, MemoryGetter);
        _il.Emit(OpCodes.Ldfld, CodeEpochField);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, EntryEpochField);
        _il.Emit(OpCodes.Beq, go);
        return go;
    }

    // ---- handler calls ---------------------------------------------------------------------------------

    /// <summary>
    /// Runs an instruction the translator does not specialise through its interpreter handler: state written back,
    /// the handler called exactly as the interpreter calls it, then the exit flag tested and the registers reloaded.
    /// </summary>
    private unsafe void EmitHandlerCall(ref Uop u, bool last)
    {
        var call = _il.DefineLabel();
        var back = _il.DefineLabel();
        _il.Emit(OpCodes.Br, call);
        var at = Here;
        var flags = _flags;
        int uopIndex = _node.UopBase + _position;
        nint handler = (nint)u.Exec;
        var instr = u.Instr;
        var node = _node;
        int retired = RetiredAfterThis;
        bool transfer = instr.FlowControl != Iced.Intel.FlowControl.Next;
        bool ends = HandlerTable.EndsBlock(instr.Code) || instr.Code == Iced.Intel.Code.INVALID;
        var kind = last ? node.Block.LastTransfer : Decoding.Transfer.None;
        Cold(() =>
        {
            _il.MarkLabel(call);
            EmitSync(at, flags, nextRip: true);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldfld, UopsField);
            _il.Emit(OpCodes.Ldc_I4, uopIndex);
            _il.Emit(OpCodes.Ldelema, typeof(Uop));
            _il.Emit(OpCodes.Ldc_I8, (long)handler);
            _il.Emit(OpCodes.Conv_I);
            _il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, typeof(void), [typeof(CpuCore), typeof(Uop).MakeByRefType()], null);
            var attention = _il.DefineLabel();
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, AttentionField);
            _il.Emit(OpCodes.Brtrue, attention);
            if (ends || (last && transfer))
            {
                // The handler decided where execution goes (NextRip): continue in the region when that is a known
                // node, otherwise leave.
                if (!ends) EmitDispatch(node, retired, kind);
                _il.MarkLabel(attention);
                EmitCleanExit(retired, kind);
                return;
            }
            ReloadRegisters();
            LoadCanonicalFlags();
            _il.Emit(OpCodes.Br, back);
            _il.MarkLabel(attention);
            EmitCleanExit(retired, kind);
        });
        _il.MarkLabel(back);
        _flags = FlagState.Dynamic;
        if (last && !transfer && !ends)
        {
            // A block cut short (its longest length, its page's end): continue with the next one.
            EmitEdge(_node.Fall, _node.FallRip, Decoding.Transfer.None);
        }
        else if (last)
        {
            // Unreachable: the cold code always leaves or dispatches. IL still needs a terminator here.
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Conv_I8);
            _il.Emit(OpCodes.Ret);
        }
    }

    // After a handler that transferred control at the end of a block: go on in the region if NextRip is a successor.
    private void EmitDispatch(RegionNode node, int retired, Decoding.Transfer kind)
    {
        foreach (var target in new[] { node.Taken, node.Fall })
        {
            if (target is null) continue;
            var next = _il.DefineLabel();
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, NextRipField);
            Ldc(target.Rip);
            _il.Emit(OpCodes.Bne_Un, next);
            ReloadRegisters();
            LoadCanonicalFlags();
            if (target.Index <= node.Index)
            {
                var go = EmitCodeEpochCheck();
                EmitCleanExit(retired, kind);
                _il.MarkLabel(go);
            }
            _il.Emit(OpCodes.Br, _nodeLabels[target.Index]);
            _il.MarkLabel(next);
        }
    }

    // ---- constants -------------------------------------------------------------------------------------

    private void Ldc(long v)
    {
        if (v is >= int.MinValue and <= int.MaxValue)
        {
            _il.Emit(OpCodes.Ldc_I4, (int)v);
            _il.Emit(OpCodes.Conv_I8);
        }
        else _il.Emit(OpCodes.Ldc_I8, v);
    }

    private void Ldc(ulong v) => Ldc((long)v);

    /// <summary>Truncates the ulong on the stack to <paramref name="size"/> (0 = 8 … 3 = 64 bits), zero-extending.</summary>
    private void Truncate(int size)
    {
        switch (size)
        {
            case 0: _il.Emit(OpCodes.Conv_U1); _il.Emit(OpCodes.Conv_U8); break;
            case 1: _il.Emit(OpCodes.Conv_U2); _il.Emit(OpCodes.Conv_U8); break;
            case 2: _il.Emit(OpCodes.Conv_U4); _il.Emit(OpCodes.Conv_U8); break;
        }
    }

    // Temporaries live within one instruction (hot code) or one cold stub: two pools, reused from the start each time.
    private readonly List<LocalBuilder> _hotTemps = [], _coldTemps = [];
    private int _hotTempNext, _coldTempNext;

    private LocalBuilder Temp()
    {
        var pool = _deferring ? _coldTemps : _hotTemps;
        ref int next = ref _deferring ? ref _coldTempNext : ref _hotTempNext;
        if (next == pool.Count) pool.Add(_il.DeclareLocal(typeof(ulong)));
        return pool[next++];
    }
}

/// <summary>The data a translation's method is closed over: the region's instructions, for the handlers it calls.</summary>
internal sealed class RegionClosure(Uop[] uops)
{
    /// <summary>The instructions, node by node.</summary>
    public readonly Uop[] Uops = uops;
}
