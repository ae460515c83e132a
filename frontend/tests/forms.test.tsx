// The shared form field (label, control and hint tied together) and the loading hook that
// replaced the pages' own effects: it keeps only the answer to the latest request.
import { act, render, renderHook, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Field } from "@/components/Field";
import { useAnswer } from "@/lib/useAnswer";

describe("Field", () => {
  it("labels its control and describes it with the hint", () => {
    render(
      <Field id="ref" label="รหัส" hint="ไม่บังคับ" hintTestId="ref-help">
        {(control) => <input {...control} />}
      </Field>,
    );
    const input = screen.getByLabelText("รหัส");
    expect(input.id).toBe("ref");
    expect(input.getAttribute("aria-describedby")).toBe("ref-hint");
    expect(screen.getByTestId("ref-help").id).toBe("ref-hint");
  });

  it("describes nothing without a hint", () => {
    render(<Field id="name" label="ชื่อ">{(control) => <input {...control} />}</Field>);
    expect(screen.getByLabelText("ชื่อ").hasAttribute("aria-describedby")).toBe(false);
  });
});

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

describe("useAnswer", () => {
  it("drops an answer that arrives after a newer request", async () => {
    const first = deferred<string>();
    const second = deferred<string>();
    const loads = [() => first.promise, () => second.promise];
    const { result, rerender } = renderHook(({ load }) => useAnswer(load), {
      initialProps: { load: loads[0]! },
    });
    expect(result.current.loading).toBe(true);
    rerender({ load: loads[1]! });
    await act(async () => second.resolve("page 2"));
    expect(result.current).toMatchObject({ data: "page 2", loading: false });
    await act(async () => first.resolve("page 1"));
    expect(result.current.data).toBe("page 2");
  });

  it("keeps the last answer with a later error, and asks again on reload", async () => {
    let calls = 0;
    const answers = [Promise.resolve("list"), Promise.reject(new Error("down")), Promise.resolve("again")];
    answers[1]!.catch(() => {});
    const load = () => answers[calls++]!;
    const { result } = renderHook(() => useAnswer(load));
    await waitFor(() => expect(result.current.data).toBe("list"));
    act(() => result.current.reload());
    expect(result.current.loading).toBe(true);
    await waitFor(() => expect(result.current.error).toBeInstanceOf(Error));
    expect(result.current.data).toBe("list");
    act(() => result.current.reload());
    await waitFor(() => expect(result.current).toMatchObject({ data: "again", error: null }));
  });
});
