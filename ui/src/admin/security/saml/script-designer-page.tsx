/** /admin/security/sign-in-script: the Script Designer on its own page (it also sits below the SAML settings). */
import { ScriptDesigner } from './script-designer';

export default function ScriptDesignerPage() {
  return <ScriptDesigner />;
}
