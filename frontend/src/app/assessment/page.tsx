import { RequireAuth } from "@/components/AppContext";
import { schemaLimits } from "@/lib/backend";
import { AssessmentForm } from "./AssessmentForm";

/** Rendered on the server with the API's limits already on the form's inputs. */
export default async function AssessmentPage() {
  const limits = await schemaLimits("AssessmentIn");
  return (
    <RequireAuth>
      <AssessmentForm limits={limits} />
    </RequireAuth>
  );
}
