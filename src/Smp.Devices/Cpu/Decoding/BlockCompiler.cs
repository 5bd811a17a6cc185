using System.Reflection;
using System.Reflection.Emit;

namespace Smp.Devices.Cpu.Decoding;

/// <summary>
/// Compiles a hot decoded block, at the linear address it runs at, into a method that calls each
/// handler directly: the instruction addresses become constants, the indirect call becomes a direct
/// (and for small handlers inlined) call, and the loop disappears. Semantics stay those of the
/// interpreter loop: RIP and NextRip are set before each handler, the exit flag is tested after each
/// instruction, and a fault propagates with RIP at the faulting instruction.
/// </summary>
internal static class BlockCompiler
{
    /// <summary>Runs a compiled block: returns the number of instructions executed; RIP is left at the next one.</summary>
    public delegate int CompiledBlock(CpuCore cpu, Uop[] uops);

    private static readonly FieldInfo RipField = typeof(CpuCore).GetField(nameof(CpuCore.Rip))!;
    private static readonly FieldInfo NextRipField = typeof(CpuCore).GetField(nameof(CpuCore.NextRip))!;
    private static readonly FieldInfo AttentionField =
        typeof(CpuCore).GetField("_attention", BindingFlags.Instance | BindingFlags.NonPublic)!;

    /// <summary>Compiles <paramref name="block"/> for linear start <paramref name="startRip"/>, or returns null when a handler is unknown.</summary>
    public static unsafe CompiledBlock? Compile(DecodedBlock block, ulong startRip, ulong ipMask)
    {
        var methods = new MethodInfo[block.Count];
        for (int k = 0; k < block.Count; k++)
        {
            if (HandlerMethods.Find((nint)block.Uops[k].Exec) is not { } m) return null;
            methods[k] = m;
        }

        var dm = new DynamicMethod($"block_{startRip:x}", typeof(int), [typeof(CpuCore), typeof(Uop[])], typeof(CpuCore), skipVisibility: true);
        var il = dm.GetILGenerator();
        ulong rip = startRip;
        for (int k = 0; k < block.Count; k++)
        {
            ulong next = (rip + block.Uops[k].Length) & ipMask;
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldc_I8, (long)rip);
            il.Emit(OpCodes.Stfld, RipField);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldc_I8, (long)next);
            il.Emit(OpCodes.Stfld, NextRipField);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldc_I4, k);
            il.Emit(OpCodes.Ldelema, typeof(Uop));
            il.Emit(OpCodes.Call, methods[k]);
            if (k < block.Count - 1)
            {
                var go = il.DefineLabel();
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldfld, AttentionField);
                il.Emit(OpCodes.Brfalse, go);
                EmitExit(il, k + 1);
                il.MarkLabel(go);
            }

            rip = next;
        }

        EmitExit(il, block.Count);
        return dm.CreateDelegate<CompiledBlock>();
    }

    // RIP ← NextRip (the handler may have branched); return the count executed.
    private static void EmitExit(ILGenerator il, int executed)
    {
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, NextRipField);
        il.Emit(OpCodes.Stfld, RipField);
        il.Emit(OpCodes.Ldc_I4, executed);
        il.Emit(OpCodes.Ret);
    }
}
