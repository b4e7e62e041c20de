import { createRoot } from 'react-dom/client';
import 'graphiql/graphiql.css';
import './portal.css';
import { App } from './app';

// The gateway marks the page when it offers seeded consumers' tokens (dev mode).
const devConsumers = document.documentElement.dataset.devConsumers === 'true';

createRoot(document.getElementById('portal')!).render(<App devConsumers={devConsumers} />);
