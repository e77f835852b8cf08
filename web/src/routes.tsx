import { createBrowserRouter, Navigate } from 'react-router';
import { Shell, Home } from './components/Shell.tsx';
import { LoginPage } from './pages/Login.tsx';
import { AlertsPage } from './pages/Alerts.tsx';
import { AlertPage } from './pages/AlertDetails.tsx';
import { ApprovalsPage } from './pages/Approvals.tsx';
import { HistoryPage } from './pages/History.tsx';
import { TenantsPage } from './pages/Tenants.tsx';
import { PlaybooksPage } from './pages/Playbooks.tsx';
import { PlaybookEditorPage } from './pages/PlaybookEditor.tsx';
import { RunsPage, RunPage } from './pages/Runs.tsx';
import { AuditPage } from './pages/Audit.tsx';
import { IncidentPage, IncidentsPage } from './pages/Incidents.tsx';
import { UsersPage } from './pages/Users.tsx';
import { AccountPage } from './pages/Account.tsx';
import { NotFound } from './components/NotFound.tsx';

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  { path: '/', element: <Home /> },
  {
    path: '/t/:tenantId',
    element: <Shell />,
    children: [
      { index: true, element: <Navigate to="alerts" replace /> },
      { path: 'alerts', element: <AlertsPage /> },
      { path: 'alerts/:alertId', element: <AlertPage /> },
      { path: 'incidents', element: <IncidentsPage /> },
      { path: 'incidents/:incidentId', element: <IncidentPage /> },
      { path: 'approvals', element: <ApprovalsPage /> },
      { path: 'response', element: <HistoryPage /> },
      { path: 'playbooks', element: <PlaybooksPage /> },
      { path: 'playbooks/:playbookId', element: <PlaybookEditorPage /> },
      { path: 'runs', element: <RunsPage /> },
      { path: 'runs/:runId', element: <RunPage /> },
      { path: 'tenants', element: <TenantsPage /> },
      { path: 'users', element: <UsersPage /> },
      { path: 'audit', element: <AuditPage /> },
      { path: 'account', element: <AccountPage /> },
      { path: '*', element: <NotFound /> },
    ],
  },
  { path: '*', element: <NotFound /> },
]);
